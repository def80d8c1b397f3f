import Logging
import NIOCore

/// Closes a connection that has no call in progress for too long.
struct IdleTimer {
    let channel: any Channel
    let timeout: Duration?
    let logger: Logger
    private var scheduled: Scheduled<Void>?

    init(channel: any Channel, timeout: Duration?, logger: Logger) {
        self.channel = channel
        self.timeout = timeout
        self.logger = logger
    }

    mutating func start() {
        guard let timeout, scheduled == nil else { return }
        let channel = self.channel
        let logger = self.logger
        scheduled = channel.eventLoop.scheduleTask(in: TimeAmount(timeout)) {
            logger.debug("Closing an idle Varlink connection")
            channel.close(promise: nil)
        }
    }

    mutating func stop() {
        scheduled?.cancel()
        scheduled = nil
    }
}
