/// API.md's status words for a daemon, from what systemd says about its service and sockets and
/// whether it answers a Varlink ping:
/// - `ok`: running and answering;
/// - `idle`: not running, its sockets listening (socket activation starts it on demand);
/// - `degraded`: starting, stopping, not answering, or its sockets not listening;
/// - `failed`: systemd has the service (or a socket) in `failed`.
public enum ServiceStatus {
    public struct Verdict: Sendable, Equatable {
        public var status: String
        public var reason: String?
    }

    /// - Parameters:
    ///   - answers: the Varlink ping's outcome; only asked about when the service is active.
    public static func judge(service: UnitState, sockets: [UnitState], answers: () async -> Bool) async -> Verdict {
        if service.activeState == "failed" {
            return Verdict(status: "failed", reason: "\(service.name) failed (\(service.subState))")
        }
        if let failed = sockets.first(where: { $0.activeState == "failed" }) {
            return Verdict(status: "failed", reason: "\(failed.name) failed (\(failed.subState))")
        }
        if service.activeState == "unknown" {
            return Verdict(status: "degraded", reason: "systemd cannot be asked about \(service.name)")
        }
        if let closed = sockets.first(where: { $0.activeState != "active" }) {
            return Verdict(status: "degraded", reason: "\(closed.name) is not listening (\(closed.activeState))")
        }
        switch service.activeState {
        case "inactive":
            return Verdict(status: "idle", reason: nil)
        case "active", "reloading":
            return await answers()
                ? Verdict(status: "ok", reason: nil) : Verdict(status: "degraded", reason: "\(service.name) does not answer over Varlink")
        default:
            return Verdict(status: "degraded", reason: "\(service.name) is \(service.activeState)")
        }
    }
}
