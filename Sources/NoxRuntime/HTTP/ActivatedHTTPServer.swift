public import Hummingbird
import HummingbirdCore
public import Logging
import Atomics
import NIOCore
import NIOExtras
import NIOPosix
public import ServiceLifecycle

/// An HTTP/1.1 server on a socket systemd handed us (or one we bind in development).
///
/// Hummingbird's `Application` always binds a new socket, so this serves a Hummingbird router
/// through `HTTP1Channel` on `ServerBootstrap.bind(_ socket:)` itself. On graceful shutdown it
/// stops accepting, finishes the requests in flight (including ones on connections accepted just
/// before, see `FirstRequestGraceHandler`) and closes idle connections; connections still waiting
/// in the listen queue stay there for the next instance (the socket is systemd's).
public struct ActivatedHTTPServer: Service {
    let socket: ListenSocket
    let responder: @Sendable (Request, any Channel) async throws -> Response
    let logger: Logger
    let activity: ActivityTracker

    public init<Responder: HTTPResponder>(
        socket: ListenSocket,
        responder: Responder,
        activity: ActivityTracker,
        logger: Logger
    ) where Responder.Context == NoxRequestContext {
        self.socket = socket
        self.logger = logger
        self.activity = activity
        self.responder = { request, channel in
            let context = NoxRequestContext(source: .init(channel: channel, logger: logger))
            return try await responder.respond(to: request, context: context)
        }
    }

    public func run() async throws {
        let quiescing = ServerQuiescingHelper(group: MultiThreadedEventLoopGroup.singleton)
        let activity = self.activity
        let respond = self.responder
        let logger = self.logger
        let channelSetup = HTTP1Channel(
            responder: { request, responseWriter, channel in
                activity.begin()
                defer { activity.end() }
                let response: Response
                do {
                    response = try await respond(request, channel)
                } catch {
                    response = APIError.internalError.response(requestID: nil)
                }
                try await responseWriter.write(response: response.head, body: response.body)
            },
            configuration: .init(
                additionalChannelHandlers: [FirstRequestGraceHandler()],
                idleTimeout: .seconds(75)
            )
        )
        let bootstrap = ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.backlog, value: 256)
            .serverChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(quiescing.makeServerChannelHandler(channel: channel))
                }
            }
            .childChannelOption(.allowRemoteHalfClosure, value: true)
            // Reading starts when a task serves the connection (see `AcceptedConnection`).
            .childChannelOption(.autoRead, value: false)
        let serverChannel: NIOAsyncChannel<AcceptedConnection, Never>
        switch socket.value {
        case .inherited(let fd):
            serverChannel = try await bootstrap.bind(
                fd, cleanupExistingSocketFile: false, serverBackPressureStrategy: nil
            ) { channel in channel.eventLoop.makeSucceededFuture(AcceptedConnection(channel: channel)) }
        case .path(let path):
            serverChannel = try await bootstrap.bind(
                unixDomainSocketPath: path, cleanupExistingSocketFile: true, serverBackPressureStrategy: nil
            ) { channel in channel.eventLoop.makeSucceededFuture(AcceptedConnection(channel: channel)) }
        }
        logger.info("HTTP server listening", metadata: ["socket": .string(socket.description)])

        // Cancellation (rather than graceful shutdown) closes the listener at once as well.
        await withTaskCancellationHandler {
            await serve(serverChannel, channelSetup: channelSetup, quiescing: quiescing)
        } onCancel: {
            serverChannel.channel.close(promise: nil)
        }
    }

    func serve(_ serverChannel: NIOAsyncChannel<AcceptedConnection, Never>, channelSetup: HTTP1Channel, quiescing: ServerQuiescingHelper) async {
        let logger = self.logger
        let shuttingDown = ManagedAtomic(false)
        await withGracefulShutdownHandler {
            await withDiscardingTaskGroup { group in
                do {
                    try await serverChannel.executeThenClose { inbound in
                        for try await connection in inbound {
                            group.addTask {
                                await Self.serve(connection, channelSetup: channelSetup, shuttingDown: shuttingDown, logger: logger)
                            }
                        }
                    }
                } catch is CancellationError {
                    // Shutting down.
                } catch {
                    logger.error("HTTP listener failed", metadata: ["error": "\(error)"])
                }
            }
        } onGracefulShutdown: {
            shuttingDown.store(true, ordering: .sequentiallyConsistent)
            let promise = MultiThreadedEventLoopGroup.singleton.next().makePromise(of: Void.self)
            quiescing.initiateShutdown(promise: promise)
        }
    }

    /// Sets up HTTP on an accepted connection, in the task that serves it, then serves it.
    static func serve(_ connection: AcceptedConnection, channelSetup: HTTP1Channel, shuttingDown: ManagedAtomic<Bool>, logger: Logger) async {
        let channel = connection.channel
        let setUp = channel.eventLoop.flatSubmit { () -> EventLoopFuture<HTTP1Channel.Value?> in
            // On the event loop, an active channel has an open pipeline, so this cannot fail half-way.
            guard channel.isActive else { return channel.eventLoop.makeSucceededFuture(nil) }
            return channelSetup.setup(channel: channel, logger: logger).map { value in
                // The shutdown began before this connection had its HTTP handlers, so the quiesce
                // event went past it: deliver it now (`FirstRequestGraceHandler` lets its first
                // request be answered, then the connection closes).
                if shuttingDown.load(ordering: .sequentiallyConsistent) {
                    channel.pipeline.fireUserInboundEventTriggered(ChannelShouldQuiesceEvent())
                }
                channel.setOption(.autoRead, value: true).whenFailure { _ in }
                return value
            }
        }
        guard let value = try? await setUp.get() else { return }
        await channelSetup.handle(value: value, logger: logger)
    }
}

/// A connection the HTTP server accepted, before HTTP is set up on it.
///
/// `NIOAsyncChannel`s made in the accept initializer (as NIO's examples do) trap in
/// `NIOAsyncWriter`'s deinit when the server stops with accepted connections not yet served
/// (swift-nio issues 2637 and 2813): seen as a SIGILL of nox-files restarted under steady
/// downloads. So the wrapping happens in the task that serves the connection, and one accepted
/// but never served is just closed when this object goes away.
final class AcceptedConnection: Sendable {
    let channel: any Channel
    init(channel: any Channel) { self.channel = channel }
    deinit { channel.close(promise: nil) }
}
