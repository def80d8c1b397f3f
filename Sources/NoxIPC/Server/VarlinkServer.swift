import Logging
import NIOCore
import NIOPosix

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// A Varlink server on a Unix socket: serves its interfaces and `org.varlink.service`.
///
/// Each connection is served by its own child task; calls on one connection are answered one
/// after another, in order. Run it in a task and cancel that task to stop it:
///
/// ```swift
/// let server = try VarlinkServer(
///     info: VarlinkServiceInfo(vendor: "Nox", product: "nox-auth", version: "1.0", url: "https://example.org"),
///     interfaces: [authInterface],
///     logger: logger
/// )
/// try await server.run(listeningOn: .fileDescriptor(3))
/// ```
public final class VarlinkServer: Sendable {
    /// The limits and timeouts in force.
    public let configuration: VarlinkServerConfiguration
    private let dispatcher: VarlinkDispatcher
    private let logger: Logger
    private let eventLoopGroup: any EventLoopGroup
    private let tracker = ConnectionTracker()

    /// A server.
    ///
    /// - Parameters:
    ///   - info: What `org.varlink.service.GetInfo` reports.
    ///   - interfaces: The interfaces to serve (`org.varlink.service` is added).
    ///   - configuration: Limits and timeouts.
    ///   - logger: Where connections and failures are logged.
    ///   - eventLoopGroup: The event loops to run on; NIO's shared singleton by default.
    /// - Throws: ``NoxIPCError`` (``NoxIPCError/Code/invalidInterface``) when two interfaces
    ///   have the same name.
    public init(
        info: VarlinkServiceInfo,
        interfaces: [VarlinkInterface],
        configuration: VarlinkServerConfiguration = .init(),
        logger: Logger,
        eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    ) throws {
        self.configuration = configuration
        self.dispatcher = try VarlinkDispatcher(info: info, interfaces: interfaces)
        self.logger = logger
        self.eventLoopGroup = eventLoopGroup
    }

    /// The number of connections open now.
    public var activeConnectionCount: Int { tracker.activeConnections }

    /// Returns once the server has had no connection for `duration`, so that a socket-activated
    /// daemon can exit when idle (systemd starts it again on the next connection).
    ///
    /// - Parameter duration: How long the server must have been without connections.
    /// - Throws: `CancellationError` when the task is cancelled first.
    public func waitUntilIdle(for duration: Duration) async throws {
        try await tracker.waitUntilIdle(for: duration)
    }

    /// Listens and serves until the task is cancelled; then stops accepting, ends every
    /// connection's loop, closes the sockets, and returns.
    ///
    /// - Parameters:
    ///   - socket: A path to bind or an inherited listening descriptor.
    ///   - onListening: Called once the socket accepts connections (e.g. to tell systemd READY=1).
    /// - Throws: When the socket cannot be bound or adopted.
    public func run(
        listeningOn socket: VarlinkListenSocket,
        onListening: @Sendable () async -> Void = {}
    ) async throws {
        let configuration = self.configuration
        let bootstrap = ServerBootstrap(group: eventLoopGroup)
            .serverChannelOption(.backlog, value: 256)
            .childChannelOption(.autoRead, value: false)  // reading starts when a task serves the connection
        let listener: NIOAsyncChannel<VarlinkServerConnection, Never>
        switch socket.kind {
        case .path(let path):
            listener = try await bootstrap.bind(unixDomainSocketPath: path, cleanupExistingSocketFile: true) { channel in
                VarlinkServerConnection.accept(channel, configuration: configuration)
            }
        case .fileDescriptor(let descriptor):
            listener = try await bootstrap.bind(descriptor, cleanupExistingSocketFile: false) { channel in
                VarlinkServerConnection.accept(channel, configuration: configuration)
            }
        }
        defer {
            if case .path(let path) = socket.kind { unlink(path) }
        }
        logger.info("Varlink server listening", metadata: ["ipc.socket": "\(socket)"])

        do {
            try await withThrowingDiscardingTaskGroup { group in
                try await listener.executeThenClose { connections in
                    await onListening()
                    for try await connection in connections {
                        tracker.opened()
                        group.addTask { [dispatcher, logger, tracker] in
                            await connection.serve(dispatcher: dispatcher, idleTimeout: configuration.idleTimeout, logger: logger)
                            tracker.closed()
                        }
                    }
                }
            }
        } catch is CancellationError {
            // Stopping: the listener is closed and the connections have ended.
        } catch {
            logger.error("Varlink server failed", metadata: ["ipc.socket": "\(socket)", "error": "\(error)"])
            throw error
        }
        logger.info("Varlink server stopped", metadata: ["ipc.socket": "\(socket)"])
    }
}
