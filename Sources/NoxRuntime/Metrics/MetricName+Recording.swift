import CoreMetrics
import Metrics

/// Recording through swift-metrics by catalog name, so the daemons need no metrics import.
extension MetricName {
    /// Adds to a counter.
    public func increment(by amount: Int64 = 1, _ dimensions: [(String, String)] = []) {
        Counter(label: name, dimensions: dimensions).increment(by: amount)
    }

    /// Records a duration into a histogram.
    public func record(_ duration: Duration, _ dimensions: [(String, String)] = []) {
        Timer(label: name, dimensions: dimensions).record(duration: duration)
    }

    /// Sets a gauge.
    public func set(_ value: Int, _ dimensions: [(String, String)] = []) {
        Gauge(label: name, dimensions: dimensions).record(value)
    }
}
