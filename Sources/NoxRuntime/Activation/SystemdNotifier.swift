import CSystemd
public import Logging
public import ServiceLifecycle

/// Tells systemd how the daemon is doing (`sd_notify`): READY, STATUS, STOPPING, WATCHDOG.
/// Every call is a no-op when not started by systemd with `NotifyAccess=`.
public enum SystemdNotifier {
    public static func ready(status: String) {
        notify("READY=1\nSTATUS=\(status)")
    }

    public static func status(_ status: String) {
        notify("STATUS=\(status)")
    }

    public static func stopping() {
        notify("STOPPING=1\nSTATUS=Stopping")
    }

    public static func watchdog() {
        notify("WATCHDOG=1")
    }

    static func notify(_ state: String) {
        _ = sd_notify(0, state)
    }

    /// The watchdog interval systemd asked for (`WatchdogSec=`), if any, in microseconds.
    public static func watchdogInterval() -> UInt64? {
        var usec: UInt64 = 0
        return sd_watchdog_enabled(0, &usec) > 0 && usec > 0 ? usec : nil
    }
}

/// Pets the systemd watchdog at half its interval while the daemon runs.
public struct WatchdogService: Service {
    let interval: Duration
    let isHealthy: @Sendable () async -> Bool

    /// - Parameters:
    ///   - isHealthy: checked before each ping; a daemon that is stuck stops pinging and is restarted.
    public init?(isHealthy: @escaping @Sendable () async -> Bool = { true }) {
        guard let usec = SystemdNotifier.watchdogInterval() else { return nil }
        self.interval = .microseconds(Int64(usec / 2))
        self.isHealthy = isHealthy
    }

    public func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                if await isHealthy() { SystemdNotifier.watchdog() }
                try? await Task.sleep(for: interval)
            }
        }
    }
}
