import Foundation
public import NoxIPC

/// `io.nox.Metrics`, served by every daemon (``DaemonRunner/serve``): its registry's text
/// exposition for nox-metrics. Callers: root, the daemon itself and group `nox`.
public enum MetricsVarlinkInterface {
    struct Reply: Encodable, Sendable {
        var service: String
        var version: String
        var uptime_s: Int
        var text: String
    }

    /// - Parameters:
    ///   - service: the daemon's name (`nox-files`).
    public static func make(service: String, started: ContinuousClock.Instant = .now) throws -> VarlinkInterface {
        try VarlinkInterface(
            description: VarlinkInterfaces.ioNoxMetrics,
            methods: [
                VarlinkMethod("Get", parameters: VarlinkEmpty.self) { _, _ in
                    Reply(
                        service: service, version: NoxVersion.current,
                        uptime_s: Int((ContinuousClock.now - started).components.seconds), text: NoxMetrics.exposition())
                }
            ],
            authorization: .users(VarlinkPeers.noxDaemons())
        )
    }
}
