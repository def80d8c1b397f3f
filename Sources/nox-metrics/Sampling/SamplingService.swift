import Foundation
import Logging
import ServiceLifecycle

/// Samples once a second while the daemon runs: the snapshot goes to the live stream and into
/// the history; once a minute the history is compacted.
public struct SamplingService: Service {
    let sampler: SystemSampler
    let history: HistoryStore
    let broadcaster: SnapshotBroadcaster
    let logger: Logger

    public init(sampler: SystemSampler, history: HistoryStore, broadcaster: SnapshotBroadcaster, logger: Logger) {
        self.sampler = sampler
        self.history = history
        self.broadcaster = broadcaster
        self.logger = logger
    }

    public func run() async throws {
        await cancelWhenGracefulShutdown {
            var lastMinute: Int64 = -1
            while !Task.isCancelled {
                let now = Date()
                let snapshot = await sampler.sample(now: now)
                broadcaster.publish(snapshot)
                let second = Int64(now.timeIntervalSince1970)
                let minute = second / 60
                let compactDue = minute != lastMinute
                lastMinute = minute
                do {
                    try await Blocking.run { [history] in
                        try history.record(HistoryPoint(snapshot: snapshot, t: second))
                        if compactDue { try history.compact(now: second) }
                    }
                } catch {
                    logger.error("The metrics history could not be written", metadata: ["error": "\(error)"])
                }
                // The next whole second.
                let fraction = Date().timeIntervalSince1970.truncatingRemainder(dividingBy: 1)
                try? await Task.sleep(for: .milliseconds(Int(max(50, (1 - fraction) * 1000))))
            }
            broadcaster.finishAll()
        }
    }
}

/// Refreshes the users' storage for `/metrics` once a minute, only while nox-files runs (a
/// scrape must not wake it), on its own so that a slow refresh never delays a sample.
public struct StorageRefreshService: Service {
    let storage: StorageCache
    let broadcaster: SnapshotBroadcaster

    public init(storage: StorageCache, broadcaster: SnapshotBroadcaster) {
        self.storage = storage
        self.broadcaster = broadcaster
    }

    public func run() async throws {
        await cancelWhenGracefulShutdown {
            var last: ContinuousClock.Instant?
            while !Task.isCancelled {
                if last.map({ ContinuousClock.now - $0 >= .seconds(60) }) ?? true, broadcaster.latest?.services["files"]?.status == "ok" {
                    await storage.refresh()
                    last = .now
                }
                try? await Task.sleep(for: .seconds(2))
            }
        }
    }
}
