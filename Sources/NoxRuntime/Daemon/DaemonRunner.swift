public import Logging
public import ServiceLifecycle
import UnixSignals

/// Runs a daemon's services the way systemd expects: READY once started, the watchdog petted,
/// graceful stop on SIGTERM/SIGINT (STOPPING), and optionally exit when idle.
public enum DaemonRunner {
    /// - Parameters:
    ///   - services: the daemon's services in dependency order (servers last).
    ///   - activity: what counts as being busy, for `idleExitSeconds`.
    ///   - idleExitSeconds: exit after this long without requests; 0 = never.
    public static func run(
        name: String,
        services: [any Service],
        activity: ActivityTracker,
        idleExitSeconds: Int,
        logger: Logger
    ) async throws {
        var configurations = services.map { ServiceGroupConfiguration.ServiceConfiguration(service: $0) }
        if let watchdog = WatchdogService() {
            configurations.append(.init(service: watchdog))
        }
        if idleExitSeconds > 0 {
            configurations.append(
                .init(
                    service: IdleExitService(activity: activity, idleSeconds: idleExitSeconds, logger: logger),
                    successTerminationBehavior: .gracefullyShutdownGroup
                )
            )
        }
        var configuration = ServiceGroupConfiguration(services: configurations, logger: logger)
        configuration.gracefulShutdownSignals = [.sigterm, .sigint]
        // Shorter than the unit's TimeoutStopSec (15 s).
        configuration.maximumGracefulShutdownDuration = .seconds(10)
        let group = ServiceGroup(configuration: configuration)
        SystemdNotifier.ready(status: "Serving")
        logger.info("\(name) started")
        try await group.run()
        SystemdNotifier.stopping()
        logger.info("\(name) stopped")
    }
}

/// Ends the daemon after a quiet period; socket activation starts it again on the next request.
struct IdleExitService: Service {
    let activity: ActivityTracker
    let idleSeconds: Int
    let logger: Logger

    func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                try? await Task.sleep(for: .seconds(1))
                if activity.idleSeconds >= Int64(idleSeconds) {
                    logger.info("Idle for \(idleSeconds) s; exiting until the next request")
                    SystemdNotifier.stopping()
                    return
                }
            }
        }
    }
}
