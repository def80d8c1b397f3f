public import CoreMetrics
import Foundation
import NIOConcurrencyHelpers
public import Prometheus

/// The process's metrics: every daemon records through swift-metrics (`Counter`, `Timer`,
/// `Gauge`) into one in-process `PrometheusCollectorRegistry`, and serves its text exposition
/// over Varlink (`io.nox.Metrics.Get`) to nox-metrics, which merges all daemons into `/metrics`.
///
/// Names are Prometheus-style with the `nox_` prefix (see ``MetricName``); dimensions are
/// OTel-style (`http.route`) and become labels with the dots turned into underscores.
public enum NoxMetrics {
    /// The registry the daemon's swift-metrics handlers write to.
    public static let registry = PrometheusCollectorRegistry()

    private static let state = NIOLockedValueBox(State())
    private struct State {
        var bootstrapped = false
        var collectHooks: [@Sendable () -> Void] = []
    }

    /// Points swift-metrics at ``registry`` (once per process; later calls do nothing). Only a
    /// daemon's entry point calls this: tests inject their own factory or none.
    public static func bootstrap() {
        let first = state.withLockedValue { state -> Bool in
            defer { state.bootstrapped = true }
            return !state.bootstrapped
        }
        guard first else { return }
        MetricsSystem.bootstrap(makeFactory(registry: registry))
    }

    /// A factory writing into `registry`, with Nox's name rules and buckets.
    public static func makeFactory(registry: PrometheusCollectorRegistry) -> PrometheusMetricsFactory {
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.nameAndLabelSanitizer = { name, labels in
            (prometheusName(name), labels.map { (prometheusName($0.0), $0.1) })
        }
        // Requests are fast (ms) and runs slow (up to the exec timeout): one set covers both.
        factory.defaultDurationHistogramBuckets = [
            .milliseconds(1), .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100),
            .milliseconds(250), .milliseconds(500), .seconds(1), .milliseconds(2500), .seconds(5), .seconds(10), .seconds(30),
            .seconds(60),
        ]
        return factory
    }

    /// `http.route` → `http_route`: Prometheus allows `[a-zA-Z_][a-zA-Z0-9_]*` only.
    public static func prometheusName(_ name: String) -> String {
        var out = ""
        out.reserveCapacity(name.utf8.count)
        for scalar in name.unicodeScalars {
            switch scalar {
            case "a"..."z", "A"..."Z", "_", "0"..."9": out.unicodeScalars.append(scalar)
            default: out.append("_")
            }
        }
        if let first = out.unicodeScalars.first, ("0"..."9").contains(first) { out = "_" + out }
        return out
    }

    /// Runs `hook` before every export, to refresh gauges that are cheaper to read than to
    /// keep current (the run queue's depth).
    public static func onCollect(_ hook: @escaping @Sendable () -> Void) {
        state.withLockedValue { $0.collectHooks.append(hook) }
    }

    /// The registry in the Prometheus text exposition format, after the collect hooks ran.
    public static func exposition(of registry: PrometheusCollectorRegistry = registry) -> String {
        for hook in state.withLockedValue({ $0.collectHooks }) { hook() }
        return registry.emitToString()
    }
}
