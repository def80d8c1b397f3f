import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix

/// Opening connections and keeping the shared one.
extension VarlinkClient {
    func checkNotClosed() throws {
        if case .closed = state.withLockedValue({ $0 }) {
            throw NoxIPCError(.clientClosed, "the client was closed")
        }
    }

    /// The shared connection, opened if there is none (or it broke).
    func sharedChannel() async throws -> any Channel {
        let (future, isNew): (EventLoopFuture<any Channel>, Bool) = try state.withLockedValue { state in
            switch state {
            case .closed:
                throw NoxIPCError(.clientClosed, "the client was closed")
            case .connected(let channel) where channel.isActive:
                return (channel.eventLoop.makeSucceededFuture(channel), false)
            case .connecting(let future):
                return (future, false)
            case .idle, .connected:
                let future = connect(idleTimeout: configuration.idleTimeout)
                state = .connecting(future)
                return (future, true)
            }
        }
        if isNew { track(future) }
        do {
            return try await future.get()
        } catch {
            throw NoxIPCError(.connectionFailed, "cannot connect to \(path)", cause: error)
        }
    }

    /// Stops sharing `channel` (a write on it failed: it is closing, whatever `isActive` says yet),
    /// so the next call opens a new connection instead of failing on the same one again.
    func forget(_ channel: any Channel) {
        state.withLockedValue { state in
            if case .connected(let current) = state, current === channel { state = .idle }
        }
        channel.close(promise: nil)
    }

    /// Keeps `state` in step with the shared connection `future` brings.
    private func track(_ future: EventLoopFuture<any Channel>) {
        future.whenComplete { [weak self, logger, path] result in
            let keep = self?.state.withLockedValue { state -> Bool in
                guard case .connecting(let current) = state, current == future else { return false }
                switch result {
                case .success(let channel): state = .connected(channel)
                case .failure: state = .idle
                }
                return true
            }
            guard case .success(let channel) = result else { return }
            guard keep == true else {
                channel.close(promise: nil)  // the client was closed or released meanwhile
                return
            }
            logger.debug("Varlink connection opened", metadata: ["ipc.socket": "\(path)"])
            channel.closeFuture.whenComplete { [weak self] _ in
                logger.debug("Varlink connection closed", metadata: ["ipc.socket": "\(path)"])
                self?.state.withLockedValue { state in
                    if case .connected(let current) = state, current === channel { state = .idle }
                }
            }
        }
    }

    /// Opens a new connection.
    func connect(idleTimeout: Duration?) -> EventLoopFuture<any Channel> {
        let configuration = self.configuration
        return ClientBootstrap(group: eventLoopGroup)
            .connectTimeout(TimeAmount(configuration.connectTimeout))
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let callTimeout = configuration.callTimeout.map(TimeAmount.init)
                    try channel.pipeline.syncOperations.addHandlers(
                        VarlinkFrameDecoder(maximumFrameSize: configuration.maximumFrameSize, readTimeout: callTimeout),
                        VarlinkClientHandler(callTimeout: callTimeout, idleTimeout: idleTimeout.map(TimeAmount.init))
                    )
                }
            }
            .connect(unixDomainSocketPath: path)
    }
}
