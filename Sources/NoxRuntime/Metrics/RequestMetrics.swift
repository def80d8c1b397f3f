import Atomics
import CoreMetrics
import Metrics
import Foundation

/// The per-request recording every daemon does from ``RequestMiddleware``: a request counter
/// and a latency histogram, labelled by method, route pattern (never the concrete path, which
/// would make a series per file or job) and status code.
public enum RequestMetrics {
    /// Off when the daemon's environment has `NOX_REQUEST_METRICS=off` (a unit drop-in), so the
    /// benchmark can measure what recording costs.
    public static let enabled = ManagedAtomic<Bool>(ProcessInfo.processInfo.environment["NOX_REQUEST_METRICS"] != "off")

    /// Records one answered request.
    /// - Parameters:
    ///   - route: the matched route pattern, or nil when none matched (then `unmatched`).
    public static func record(method: String, route: String?, status: Int, duration: Duration) {
        guard enabled.load(ordering: .relaxed) else { return }
        let route = route ?? "unmatched"
        Counter(
            label: MetricName.httpRequests.name,
            dimensions: [("http.request.method", method), ("http.route", route), ("http.response.status_code", String(status))]
        ).increment()
        Timer(label: MetricName.httpDuration.name, dimensions: [("http.request.method", method), ("http.route", route)])
            .record(duration: duration)
    }
}
