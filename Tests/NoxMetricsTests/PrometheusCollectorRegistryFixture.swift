import CoreMetrics
import NoxRuntime
import Prometheus

/// A registry filled through the swift-metrics handler API with Nox's factory, without touching
/// the global `MetricsSystem` (no bootstrap in tests).
enum PrometheusCollectorRegistryFixture {
    static func make() -> String {
        let registry = PrometheusCollectorRegistry()
        let factory = NoxMetrics.makeFactory(registry: registry)
        let dimensions = [("http.request.method", "GET"), ("http.route", "/api/files/{path...}"), ("http.response.status_code", "200")]
        factory.makeCounter(label: MetricName.httpRequests.name, dimensions: dimensions).increment(by: 2)
        factory.makeTimer(label: MetricName.httpDuration.name, dimensions: Array(dimensions.prefix(2))).recordNanoseconds(3_000_000)
        return registry.emitToString()
    }
}
