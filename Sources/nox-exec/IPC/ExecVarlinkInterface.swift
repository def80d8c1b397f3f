import Foundation
import NoxIPC
import NoxRuntime

/// `io.nox.Exec`: the queue's state and the run statistics, for nox-metrics.
enum ExecVarlinkInterface {
    struct UserRuns: Encodable, Sendable {
        var username: String
        var running: Int
        var waiting: Int
    }
    struct QueueReply: Encodable, Sendable {
        var running: Int
        var waiting: Int
        var users: [UserRuns]
    }

    static func make(service: ExecService) throws -> VarlinkInterface {
        RunMetrics.watch(service.queue)
        return try VarlinkInterface(
            description: VarlinkInterfaces.ioNoxExec,
            methods: [
                VarlinkMethod("GetQueue", parameters: VarlinkEmpty.self) { _, _ in
                    let counts = service.queue.counts
                    let names = Set(counts.runningByUser.keys).union(counts.waitingByUser.keys).sorted()
                    return QueueReply(
                        running: counts.running, waiting: counts.waiting,
                        users: names.map { UserRuns(username: $0, running: counts.runningByUser[$0] ?? 0, waiting: counts.waitingByUser[$0] ?? 0) })
                },
                VarlinkMethod("GetStats", parameters: RunStatsWire.Parameters.self) { parameters, _ in
                    let since = try parameters.since.map { text in
                        guard let date = RFC3339.date(text) else {
                            throw VarlinkError(name: "org.varlink.service.InvalidParameter", parameters: ["parameter": "since"])
                        }
                        return date
                    }
                    let stats = try await service.blocking { [store = service.store] in try store.stats(since: since, username: parameters.username) }
                    return RunStatsWire.Reply(
                        total: stats.total, by_status: RunStatsWire.Reply.counts(stats.byStatus), by_language: RunStatsWire.Reply.counts(stats.byLanguage),
                        by_user: RunStatsWire.Reply.counts(stats.byUser), p50_ms: stats.p50, p95_ms: stats.p95, p99_ms: stats.p99)
                },
            ],
            authorization: .users(VarlinkPeers.noxDaemons())
        )
    }
}
