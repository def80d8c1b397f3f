import Foundation
import GRDB
import NoxExec
import NoxRuntime
import NoxTestSupport
import Testing

/// `io.nox.Exec.GetStats`'s arithmetic, on a real job store: what `/api/stats` is built from.
@Suite struct RunStatsTests {
    static func store(_ rows: [(user: String, language: String, status: String, created: String, duration: Int?)]) throws -> JobStore {
        let directory = try TemporaryDirectory()
        let store = try JobStore(path: directory.path + "/jobs.sqlite")
        try store.pool.write { db in
            for (index, row) in rows.enumerated() {
                try db.execute(
                    sql: "INSERT INTO jobs (id, username, language, status, created_at, duration_ms) VALUES (?, ?, ?, ?, ?, ?)",
                    arguments: ["job_\(index)", row.user, row.language, row.status, row.created, row.duration])
            }
        }
        return store
    }

    @Test func countsAndNearestRankPercentiles() throws {
        var rows: [(user: String, language: String, status: String, created: String, duration: Int?)] = []
        for value in 1...100 {
            rows.append(("alice", value % 2 == 0 ? "python" : "sh", value == 100 ? "failed" : "succeeded", "2026-01-01T00:00:00.000Z", value))
        }
        rows.append(("bob", "python", "running", "2026-02-01T00:00:00.000Z", nil))
        let stats = try Self.store(rows).stats(since: nil, username: nil)
        #expect(stats.total == 101)
        #expect(stats.byStatus == ["succeeded": 99, "failed": 1, "running": 1])
        #expect(stats.byLanguage == ["python": 51, "sh": 50])
        #expect(stats.byUser == ["alice": 100, "bob": 1])
        // Nearest rank over the 100 finished durations 1...100; the running job has none.
        #expect(stats.p50 == 50)
        #expect(stats.p95 == 95)
        #expect(stats.p99 == 99)
    }

    @Test func sinceAndUserFilter() throws {
        let store = try Self.store([
            ("alice", "sh", "succeeded", "2026-01-01T00:00:00.000Z", 10),
            ("alice", "sh", "failed", "2026-03-01T00:00:00.000Z", 30),
            ("bob", "c", "succeeded", "2026-03-02T00:00:00.000Z", 20),
        ])
        let since = try #require(RFC3339.date("2026-02-01T00:00:00Z"))
        let recent = try store.stats(since: since, username: nil)
        #expect(recent.total == 2)
        let alice = try store.stats(since: since, username: "alice")
        #expect(alice.total == 1 && alice.byStatus == ["failed": 1] && alice.p50 == 30)
        let nobody = try store.stats(since: nil, username: "carol")
        #expect(nobody.total == 0 && nobody.p50 == nil)
    }
}
