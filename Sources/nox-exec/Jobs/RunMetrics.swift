import NoxRuntime

/// The run counters nox-exec exports (through swift-metrics, `io.nox.Metrics`): finished runs
/// by language and status, their wall time, and the queue's depth.
enum RunMetrics {
    /// Records one finished run (called once per run, when its final result is stored).
    static func finished(_ result: RunResult) {
        MetricName.execRuns.increment([("nox.language", result.language), ("nox.run.status", result.status.rawValue)])
        if let duration = result.durationMs {
            MetricName.execRunDuration.record(.milliseconds(duration), [("nox.language", result.language)])
        }
    }

    /// Keeps the queue gauges current at every export.
    static func watch(_ queue: JobQueue) {
        NoxMetrics.onCollect {
            let counts = queue.counts
            MetricName.execQueueRunning.set(counts.running)
            MetricName.execQueueWaiting.set(counts.waiting)
        }
    }
}
