import InMemoryLogging
import Logging
import NIOConcurrencyHelpers
import NoxIPC

/// A running server for one test.
struct TestServer: Sendable {
    var path: String
    var server: VarlinkServer
    var logs: InMemoryLogHandler
    var notes: NIOLockedValueBox<[String]>

    func client(configuration: VarlinkClientConfiguration = .init()) -> VarlinkClient {
        VarlinkClient(path: path, configuration: configuration)
    }
}

/// Runs a server with io.nox.Test and io.nox.Auth on a socket in a temporary directory for
/// the duration of `body`, then stops it.
@discardableResult
func withTestServer<T: Sendable>(
    configuration: VarlinkServerConfiguration = .init(),
    interfaces: [VarlinkInterface]? = nil,
    _ body: @escaping @Sendable (TestServer) async throws -> T
) async throws -> T {
    try await withTemporaryDirectory { directory in
        let logs = InMemoryLogHandler()
        var logger = Logger(label: "noxipc-test", factory: { _ in logs })
        logger.logLevel = .debug
        let notes = NIOLockedValueBox<[String]>([])
        let server = try VarlinkServer(
            info: .test,
            interfaces: try interfaces ?? [makeTestInterface(notes: notes), makeAuthInterface()],
            configuration: configuration,
            logger: logger
        )
        let context = TestServer(path: directory + "/test.varlink", server: server, logs: logs, notes: notes)
        return try await withTimeout(.seconds(50)) {
            try await withThrowingTaskGroup(of: Void.self) { group in
                let (listening, listeningContinuation) = AsyncStream.makeStream(of: Void.self)
                group.addTask {
                    defer { listeningContinuation.finish() }
                    try await server.run(listeningOn: .path(context.path)) { listeningContinuation.yield() }
                }
                for await _ in listening { break }
                let result = try await body(context)
                group.cancelAll()
                try await group.waitForAll()
                return result
            }
        }
    }
}

/// A logger that drops everything.
func testLogger() -> Logger {
    Logger(label: "noxipc-test", factory: { _ in SwiftLogNoOpLogHandler() })
}
