import Logging
import NIOConcurrencyHelpers
import NoxIPC
import NoxRuntime

/// Each user's storage and disk quota for `/metrics` (`nox_user_storage_bytes`,
/// `nox_user_storage_limit_bytes`), refreshed once a minute while nox-files runs — never
/// waking it — from `io.nox.Files.ListUsage` and each user's `disk_mb` from `io.nox.Auth.GetUser`.
public final class StorageCache: Sendable {
    public struct Entry: Sendable, Equatable {
        public var bytes: Int64
        public var limitBytes: Int64?
    }

    let filesPath: String
    let authPath: String
    let logger: Logger
    private let entries = NIOLockedValueBox<[String: Entry]>([:])

    public init(filesPath: String, authPath: String, logger: Logger) {
        self.filesPath = filesPath
        self.authPath = authPath
        self.logger = logger
    }

    public var current: [String: Entry] { entries.withLockedValue { $0 } }

    struct UsageList: Decodable, Sendable { var users: [StatsService.Usage] }
    struct PrincipalReply: Decodable, Sendable { var principal: Principal }

    public func refresh() async {
        let usage: UsageList
        do {
            usage = try await VarlinkPeer.call(filesPath, "io.nox.Files.ListUsage", returning: UsageList.self)
        } catch {
            logger.warning("nox-files did not give the users' storage", metadata: ["error": "\(error)"])
            return
        }
        let previous = current
        var limits: [String: Int64] = [:]
        let auth = VarlinkClient(path: authPath, configuration: VarlinkPeer.configuration)
        await withTaskGroup(of: (String, Int64?).self) { group in
            for user in usage.users {
                group.addTask {
                    let reply = try? await auth.call("io.nox.Auth.GetUser", parameters: ["username": user.username], returning: PrincipalReply.self)
                    return (user.username, reply.map { Int64($0.principal.quotas.disk_mb) * 1_048_576 })
                }
            }
            for await (name, limit) in group { if let limit { limits[name] = limit } }
        }
        await auth.close()
        var fresh: [String: Entry] = [:]
        for user in usage.users {
            fresh[user.username] = Entry(bytes: user.bytes, limitBytes: limits[user.username] ?? previous[user.username]?.limitBytes)
        }
        entries.withLockedValue { $0 = fresh }
    }
}
