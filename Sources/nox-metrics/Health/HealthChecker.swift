import Foundation
import NIOConcurrencyHelpers
public import NoxRuntime

/// `GET /api/health`: each daemon as systemd sees it, pinged over Varlink when running. The
/// endpoint needs no token, so a report is reused for `maximumAge`: a flood of health checks
/// costs systemd and the daemons no more than one a second.
public struct HealthChecker: Sendable {
    let daemons: [NoxDaemon]
    let units: any UnitStateSource
    let maximumAge: Duration
    private let cache = NIOLockedValueBox<(report: Report, taken: ContinuousClock.Instant)?>(nil)

    public init(daemons: [NoxDaemon], units: any UnitStateSource, maximumAge: Duration = .seconds(1)) {
        self.daemons = daemons
        self.units = units
        self.maximumAge = maximumAge
    }

    public func check() async -> Report {
        if let cached = cache.withLockedValue({ $0 }), ContinuousClock.now - cached.taken < maximumAge { return cached.report }
        let report = await fresh()
        cache.withLockedValue { $0 = (report, .now) }
        return report
    }

    public struct Report: Encodable, Sendable {
        /// `ok` or `degraded`.
        public var status: String
        public var reason: String?
        public var version: String
        public var time: String
        public var services: [String: Service]
    }

    public struct Service: Encodable, Sendable {
        public var status: String
        public var version: String
        public var reason: String?
        public var unit: String
        public var active_state: String
        public var sub_state: String
        public var sockets: [String: String]
    }

    func fresh() async -> Report {
        let states = await units.states(of: daemons.flatMap(\.units), withUsage: false)
        let byName = Dictionary(states.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        var services: [String: Service] = [:]
        await withTaskGroup(of: (String, Service).self) { group in
            for daemon in daemons {
                let service = byName[daemon.service] ?? .unknown(daemon.service)
                let sockets = [daemon.httpSocket, daemon.varlinkSocket].map { byName[$0] ?? .unknown($0) }
                group.addTask {
                    var version = NoxVersion.current
                    let verdict = await ServiceStatus.judge(service: service, sockets: sockets) {
                        guard let info = await VarlinkPeer.info(daemon.varlinkPath) else { return false }
                        version = info.version
                        return true
                    }
                    return (
                        daemon.name,
                        Service(
                            status: verdict.status, version: version, reason: verdict.reason, unit: service.name,
                            active_state: service.activeState, sub_state: service.subState,
                            sockets: Dictionary(uniqueKeysWithValues: sockets.map { ($0.name, $0.activeState) }))
                    )
                }
            }
            for await (name, service) in group { services[name] = service }
        }
        // nox-metrics answers this very request.
        services["metrics"] = Service(
            status: "ok", version: NoxVersion.current, reason: nil, unit: "nox-metrics.service", active_state: "active", sub_state: "running",
            sockets: [:])
        let troubled = services.filter { $0.value.status == "failed" || $0.value.status == "degraded" }.sorted { $0.key < $1.key }
        return Report(
            status: troubled.isEmpty ? "ok" : "degraded",
            reason: troubled.isEmpty ? nil : troubled.map { "\($0.key): \($0.value.reason ?? $0.value.status)" }.joined(separator: "; "),
            version: NoxVersion.current, time: RFC3339.string(Date()), services: services)
    }
}
