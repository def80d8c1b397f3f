public import Hummingbird
import HummingbirdCore
public import Logging
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
        let serverChannel: NIOAsyncChannel<HTTP1Channel.Value, Never>
        switch socket.value {
        case .inherited(let fd):
            serverChannel = try await bootstrap.bind(
                fd, cleanupExistingSocketFile: false, serverBackPressureStrategy: nil
            ) { channel in channelSetup.setup(channel: channel, logger: logger) }
        case .path(let path):
            serverChannel = try await bootstrap.bind(
                unixDomainSocketPath: path, cleanupExistingSocketFile: true, serverBackPressureStrategy: nil
            ) { channel in channelSetup.setup(channel: channel, logger: logger) }
        }
        logger.info("HTTP server listening", metadata: ["socket": .string(socket.description)])

        // Cancellation (rather than graceful shutdown) closes the listener at once as well.
        await withTaskCancellationHandler {
            await serve(serverChannel, channelSetup: channelSetup, quiescing: quiescing)
        } onCancel: {
            serverChannel.channel.close(promise: nil)
        }
    }

    func serve(_ serverChannel: NIOAsyncChannel<HTTP1Channel.Value, Never>, channelSetup: HTTP1Channel, quiescing: ServerQuiescingHelper) async {
        let logger = self.logger
        await withGracefulShutdownHandler {
            await withDiscardingTaskGroup { group in
                do {
                    try await serverChannel.executeThenClose { inbound in
                        for try await child in inbound {
                            group.addTask { await channelSetup.handle(value: child, logger: logger) }
                        }
                    }
                } catch is CancellationError {
                    // Shutting down.
                } catch {
                    logger.error("HTTP listener failed", metadata: ["error": "\(error)"])
                }
            }
        } onGracefulShutdown: {
            let promise = MultiThreadedEventLoopGroup.singleton.next().makePromise(of: Void.self)
            quiescing.initiateShutdown(promise: promise)
        }
    }
}
