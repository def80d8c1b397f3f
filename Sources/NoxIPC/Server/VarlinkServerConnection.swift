import Logging
import NIOCore

/// One accepted connection: its channel and who is on the other end.
///
/// The channel is accepted with `autoRead` off and wrapped in a `NIOAsyncChannel` only once a
/// task serves it. A connection the server accepted but never served (it was stopping) is
/// closed when this object goes away. (Wrapping in the accept initializer, as NIO's examples
/// do, traps in `NIOAsyncWriter` when the accept loop is cancelled with connections still
/// queued: swift-nio issues 2637 and 2813.)
final class VarlinkServerConnection: Sendable {
    let channel: any Channel
    let peer: PeerCredentials

    private init(channel: any Channel, peer: PeerCredentials) {
        self.channel = channel
        self.peer = peer
    }

    deinit {
        channel.close(promise: nil)
    }

    /// Sets up an accepted channel's pipeline and reads its peer's credentials.
    static func accept(_ channel: any Channel, configuration: VarlinkServerConfiguration) -> EventLoopFuture<VarlinkServerConnection> {
        PeerCredentials.read(from: channel).flatMapThrowing { peer in
            try channel.pipeline.syncOperations.addHandler(
                VarlinkFrameDecoder(
                    maximumFrameSize: configuration.maximumFrameSize,
                    readTimeout: configuration.readTimeout.map(TimeAmount.init)
                )
            )
            return VarlinkServerConnection(channel: channel, peer: peer)
        }.flatMapErrorThrowing { error in
            channel.close(promise: nil)  // NIO leaves a channel whose initializer failed to us
            throw error
        }
    }

    /// Wraps the channel for async use and starts reading; `nil` when it closed meanwhile.
    private func start() async throws -> NIOAsyncChannel<ByteBuffer, ByteBuffer>? {
        let channel = self.channel
        return try await channel.eventLoop.submit {
            // On the event loop, an active channel has an open pipeline, so wrapping cannot fail
            // half-way (which would leave an unfinished writer behind).
            guard channel.isActive else { return nil }
            let asyncChannel = try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
            try? channel.syncOptions?.setOption(ChannelOptions.autoRead, value: true)
            return asyncChannel
        }.get()
    }

    /// Answers the connection's calls one after another, in order, until the peer closes it,
    /// it stays idle for too long, or the task is cancelled.
    func serve(dispatcher: VarlinkDispatcher, idleTimeout: Duration?, logger: Logger) async {
        var logger = logger
        logger[metadataKey: "ipc.peer.pid"] = "\(peer.pid)"
        logger[metadataKey: "ipc.peer.uid"] = "\(peer.uid)"
        logger.debug("Varlink connection opened")
        let peer = self.peer
        let channel = self.channel
        do {
            guard let asyncChannel = try await start() else { return }
            try await asyncChannel.executeThenClose { inbound, outbound in
                var idleTimer = IdleTimer(channel: channel, timeout: idleTimeout, logger: logger)
                idleTimer.start()
                for try await frame in inbound {
                    idleTimer.stop()
                    let message = try VarlinkWire.decode(VarlinkCallMessage.self, from: frame)
                    try await dispatcher.handle(message, peer: peer, logger: logger) { reply in
                        try await outbound.write(VarlinkWire.frame(reply))
                    }
                    idleTimer.start()
                }
                idleTimer.stop()
            }
            logger.debug("Varlink connection closed")
        } catch let error as NoxIPCError where error.code == .frameTooLarge {
            logger.error("Closed a Varlink connection: frame too large", metadata: ["error": "\(error)"])
        } catch let error as NoxIPCError {
            logger.warning("Closed a Varlink connection", metadata: ["error": "\(error)"])
        } catch {
            logger.debug("Varlink connection ended with an error", metadata: ["error": "\(error)"])
        }
    }
}
