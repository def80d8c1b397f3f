import Foundation
import HTTPTypes
import Logging
import NIOConcurrencyHelpers
import NoxIPC
import NoxRuntime

/// Where a user's sandbox is, asked of nox-files (`io.nox.Files.EnsureSandbox`), which owns the
/// sandboxes and creates one on first use. Remembered briefly: a run should not cost a Varlink
/// round trip, but a deleted user's sandbox must not be remembered for long either.
final class SandboxLocator: Sendable {
    let client: VarlinkClient
    let logger: Logger
    private let known = NIOLockedValueBox<[String: (path: String, at: ContinuousClock.Instant)]>([:])
    static let memory: Duration = .seconds(30)

    init(filesSocketPath: String, logger: Logger) {
        client = VarlinkClient(path: filesSocketPath, logger: logger)
        self.logger = logger
    }

    struct Reply: Decodable { var path: String }

    func sandbox(of username: String) async throws -> String {
        if let entry = known.withLockedValue({ $0[username] }), ContinuousClock.now - entry.at < Self.memory,
            FileManager.default.fileExists(atPath: entry.path)
        {
            return entry.path
        }
        do {
            let reply = try await client.call("io.nox.Files.EnsureSandbox", parameters: ["username": username], returning: Reply.self)
            known.withLockedValue { $0[username] = (reply.path, .now) }
            return reply.path
        } catch {
            logger.error("nox-files cannot be asked for a sandbox", metadata: ["nox.user": .string(username), "error": "\(error)"])
            throw APIError(
                .serviceUnavailable, code: "files_unavailable", message: "The file service is not answering; try again shortly.",
                headers: ["Retry-After": "1"])
        }
    }

    func close() async { await client.close() }
}
