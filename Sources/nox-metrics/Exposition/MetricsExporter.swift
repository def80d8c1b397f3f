import Foundation
import Logging
import NoxIPC
import NoxRuntime
import Prometheus

/// `GET /metrics`: every running daemon's own registry (`io.nox.Metrics.Get`), nox-metrics's
/// own, and the host, services, slices and storage from the latest sample, merged into one
/// exposition.
///
/// An idle daemon (socket-activated, not running) is not started for a scrape: it contributes
/// its `nox_service_status` but no counters — they went with its process, and Prometheus treats
/// the restart of a counter as a reset.
public struct MetricsExporter: Sendable {
    let daemons: [NoxDaemon]
    let broadcaster: SnapshotBroadcaster
    let sampler: SystemSampler
    let storage: StorageCache
    let logger: Logger

    public init(daemons: [NoxDaemon], broadcaster: SnapshotBroadcaster, sampler: SystemSampler, storage: StorageCache, logger: Logger) {
        self.daemons = daemons
        self.broadcaster = broadcaster
        self.sampler = sampler
        self.storage = storage
        self.logger = logger
    }

    struct GetReply: Decodable, Sendable {
        var service: String
        var text: String
    }

    public func exposition() async -> String {
        let snapshot: SystemSnapshot
        if let latest = broadcaster.latest {
            snapshot = latest
        } else {
            snapshot = await sampler.sample()
        }
        var sources: [(service: String?, families: [MetricFamily])] = []
        await withTaskGroup(of: (String, String?).self) { group in
            for daemon in daemons where snapshot.services[daemon.name]?.active_state == "active" {
                group.addTask {
                    let reply = try? await VarlinkPeer.call(daemon.varlinkPath, "io.nox.Metrics.Get", returning: GetReply.self)
                    return (daemon.service.replacingOccurrences(of: ".service", with: ""), reply?.text)
                }
            }
            for await (service, text) in group {
                guard let text else {
                    logger.warning("A daemon's metrics could not be read", metadata: ["nox.service": .string(service)])
                    continue
                }
                sources.append((service, ExpositionParser.parse(text).families))
            }
        }
        sources.sort { ($0.service ?? "") < ($1.service ?? "") }
        sources.append(("nox-metrics", ExpositionParser.parse(NoxMetrics.exposition()).families))
        sources.append((nil, ExpositionParser.parse(Self.suiteRegistry(snapshot, storage: storage.current).emitToString()).families))
        return ExpositionRenderer.render(ExpositionMerger.merge(sources))
    }

    /// What nox-metrics samples, as gauges and counters of a registry made for this scrape (so a
    /// user or unit that went away is gone from the next scrape too).
    static func suiteRegistry(_ snapshot: SystemSnapshot, storage: [String: StorageCache.Entry]) -> PrometheusCollectorRegistry {
        let registry = PrometheusCollectorRegistry()
        func gauge(_ name: String, _ help: String, _ value: Double, _ labels: [(String, String)] = []) {
            registry.makeGauge(descriptor: MetricNameDescriptor(namespace: "nox", metricName: name, unitName: "", helpText: help), labels: labels).set(value)
        }
        func counter(_ name: String, _ help: String, _ value: Double, _ labels: [(String, String)] = []) {
            let counter = registry.makeCounter(descriptor: MetricNameDescriptor(namespace: "nox", metricName: name, unitName: "", helpText: help), labels: labels)
            if value > 0 { counter.increment(by: value) }
        }
        gauge("system_cpu_utilization", "Busy share of all CPUs over the last second (0-1).", snapshot.cpu.usage_percent / 100)
        gauge("system_cpu_logical_cpus", "Online CPUs.", Double(snapshot.cpu.cores))
        gauge("system_memory_usage_bytes", "Memory in use (total less available).", Double(snapshot.memory.used_bytes))
        gauge("system_memory_limit_bytes", "Total memory.", Double(snapshot.memory.total_bytes))
        let path = [("mountpoint", snapshot.disk.path)]
        gauge("system_filesystem_usage_bytes", "Bytes used on the filesystem of Nox's state.", Double(snapshot.disk.used_bytes), path)
        gauge("system_filesystem_limit_bytes", "Size of the filesystem of Nox's state.", Double(snapshot.disk.total_bytes), path)
        gauge("system_filesystem_free_bytes", "Bytes free for unprivileged use on the filesystem of Nox's state.", Double(snapshot.disk.free_bytes), path)
        for (index, period) in ["1m", "5m", "15m"].enumerated() where index < snapshot.load.count {
            gauge("system_load_average", "Load average.", snapshot.load[index], [("period", period)])
        }
        gauge("system_uptime_seconds", "Seconds since the host booted.", Double(snapshot.uptime_s))
        for (name, service) in snapshot.services {
            let unit = [("service_name", "nox-\(name)")]
            for status in ["ok", "idle", "degraded", "failed"] {
                gauge(
                    "service_status", "1 for the daemon's current status (ok, idle, degraded, failed), else 0.",
                    service.status == status ? 1 : 0, unit + [("status", status)])
            }
            if let memory = service.memory_bytes { gauge("service_memory_usage_bytes", "Memory of the daemon's unit.", Double(memory), unit) }
            if let cpu = service.cpu_ms { counter("service_cpu_time_seconds_total", "CPU time of the daemon's unit.", Double(cpu) / 1000, unit) }
            if let tasks = service.tasks { gauge("service_tasks", "Tasks (threads) of the daemon's unit.", Double(tasks), unit) }
        }
        for (user, slice) in snapshot.slices {
            let labels = [("nox_user", user)]
            if let memory = slice.memory_bytes { gauge("user_memory_usage_bytes", "Memory of the user's runs (their slice).", Double(memory), labels) }
            if let cpu = slice.cpu_ms { counter("user_cpu_time_seconds_total", "CPU time of the user's runs (their slice).", Double(cpu) / 1000, labels) }
            if let tasks = slice.tasks { gauge("user_tasks", "Tasks of the user's runs (their slice).", Double(tasks), labels) }
        }
        for (user, entry) in storage {
            let labels = [("nox_user", user)]
            gauge("user_storage_usage_bytes", "Bytes in the user's sandbox.", Double(entry.bytes), labels)
            if let limit = entry.limitBytes { gauge("user_storage_limit_bytes", "The user's disk quota (disk_mb).", Double(limit), labels) }
        }
        return registry
    }
}
