import Foundation
import GRDB
import NoxRuntime
import NoxTestSupport
import Testing

@testable import NoxExec

@Suite("Job store")
struct JobStoreTests {
    /// A store in a fresh database file.
    final class Fixture {
        let temporary: TemporaryDirectory
        let store: JobStore

        init() throws {
            temporary = try TemporaryDirectory()
            store = try JobStore(path: temporary.path + "/exec.sqlite")
        }

        deinit { temporary.remove() }

        /// Inserts a queued job `index` seconds after a fixed time (so the order is known).
        @discardableResult
        func insert(
            _ code: String, user: String = "alice", language: String = "python", second: Double, id: String = JobStore.newID()
        ) throws -> RunResult {
            let request = JobRequest(username: user, language: language, source: .code(code), timeoutSeconds: 10, memoryMB: 256)
            return try store.insert(queued: request, id: id, createdAt: JobStoreTests.time(second))
        }
    }

    static func time(_ second: Double) -> Date { Date(timeIntervalSince1970: 1_767_323_045 + second) }

    static func finished(_ queued: RunResult, _ status: RunStatus, stdout: String = "", exitCode: Int? = 0) -> RunResult {
        var result = queued
        result.status = status
        result.exitCode = exitCode
        result.stdout = stdout
        result.finishedAt = RFC3339.string(time(100))
        result.durationMs = 42
        return result
    }

    @Test("a job goes queued, running, finished; the first final result wins")
    func lifecycle() throws {
        let fixture = try Fixture()
        let request = JobRequest(
            username: "alice", language: "python", source: .code("print(1)"), stdin: "input", args: ["-v", "x y"],
            env: ["API_KEY": "s3cret-value", "MODE": "fast"], timeoutSeconds: 10, memoryMB: 256)
        let queued = try fixture.store.insert(queued: request, createdAt: Self.time(0))
        #expect(queued.id.hasPrefix("job_") && queued.id.count == 4 + 32)
        #expect(try fixture.store.find(id: queued.id, username: "alice") == queued)
        #expect(queued.status == .queued && queued.startedAt == nil && queued.exitCode == nil)

        #expect(try fixture.store.markRunning(id: queued.id, at: Self.time(1)))
        let running = try #require(try fixture.store.find(id: queued.id, username: "alice"))
        #expect(running.status == .running && running.startedAt == RFC3339.string(Self.time(1)))

        var result = Self.finished(running, .failed, stdout: "out\u{0}with NUL and é", exitCode: 3)
        result.stderr = "traceback"
        result.stdoutTruncated = true
        result.cpuMs = 7
        result.memoryPeakBytes = 1 << 20
        result.error = "ignored: not an error status"
        #expect(try fixture.store.finish(id: queued.id, result: result))
        var expected = result
        expected.error = nil
        #expect(try fixture.store.find(id: queued.id, username: "alice") == expected)

        // Final is final: a late result, a late markRunning change nothing.
        #expect(try !fixture.store.finish(id: queued.id, result: Self.finished(running, .cancelled, exitCode: nil)))
        #expect(try !fixture.store.markRunning(id: queued.id, at: Self.time(5)))
        #expect(try fixture.store.find(id: queued.id, username: "alice") == expected)
    }

    @Test("the store keeps env names but never their values")
    func envValuesNeverStored() throws {
        let fixture = try Fixture()
        let request = JobRequest(
            username: "alice", language: "python", source: .file("src/main.py"), env: ["API_KEY": "s3cret-value", "MODE": "fast"],
            timeoutSeconds: 10, memoryMB: 256)
        let queued = try fixture.store.insert(queued: request)
        let row = try #require(
            try fixture.store.pool.read { db in try Row.fetchOne(db, sql: "SELECT * FROM jobs WHERE id = ?", arguments: [queued.id]) })
        #expect(row["env_names"] as String == #"["API_KEY","MODE"]"#)
        #expect(row["file"] as String? == "src/main.py")
        #expect(row["code"] as String? == nil)
        for column in row.columnNames {
            let text = row[column].map { "\($0)" } ?? ""
            #expect(!text.contains("s3cret") && !text.contains("fast"), "column \(column) holds an env value")
        }
    }

    @Test("another user's job reads as absent; an admin (nil) sees it")
    func otherUsersJobIsAbsent() throws {
        let fixture = try Fixture()
        let job = try fixture.insert("print(1)", user: "bob", second: 0)
        #expect(try fixture.store.find(id: job.id, username: "alice") == nil)
        #expect(try fixture.store.find(id: job.id, username: "bob") == job)
        #expect(try fixture.store.find(id: job.id, username: nil) == job)
        #expect(try fixture.store.find(id: "job_unknown", username: "bob") == nil)
    }

    @Test("jobs still queued or running at startup become errors with a message; finished ones stay")
    func recoverInterrupted() throws {
        let fixture = try Fixture()
        let queued = try fixture.insert("a", second: 0)
        let running = try fixture.insert("b", second: 1)
        let done = try fixture.insert("c", second: 2)
        try fixture.store.markRunning(id: running.id, at: Self.time(3))
        try fixture.store.finish(id: done.id, result: Self.finished(done, .succeeded))

        #expect(try fixture.store.recoverInterrupted(now: Self.time(10)) == 2)
        for id in [queued.id, running.id] {
            let result = try #require(try fixture.store.find(id: id, username: "alice"))
            #expect(result.status == .error)
            #expect(result.error == JobStore.interruptedMessage)
            #expect(result.finishedAt == RFC3339.string(Self.time(10)))
        }
        #expect(try fixture.store.find(id: running.id, username: "alice")?.startedAt == RFC3339.string(Self.time(3)))
        #expect(try fixture.store.find(id: done.id, username: "alice")?.status == .succeeded)
        #expect(try fixture.store.recoverInterrupted() == 0)
    }

    @Test("prune deletes old finished jobs only, and their code leaves the search index")
    func prune() throws {
        let fixture = try Fixture()
        let old = try fixture.insert("print('ancient')", second: 0)
        try fixture.store.finish(id: old.id, result: Self.finished(old, .succeeded))
        let oldQueued = try fixture.insert("print('ancient queued')", second: 1)
        try fixture.insert("print('recent')", second: 50)

        #expect(try fixture.store.prune(olderThan: Self.time(10)) == 1)
        #expect(try fixture.store.find(id: old.id, username: "alice") == nil)
        #expect(try fixture.store.find(id: oldQueued.id, username: "alice") != nil)
        let hits = try fixture.store.history(username: "alice", filters: HistoryFilter(query: "ancient"), page: PageRequest())
        #expect(hits.items.map(\.result.id) == [oldQueued.id])
        try fixture.store.pool.write { db in try db.execute(sql: "INSERT INTO jobs_fts(jobs_fts) VALUES ('integrity-check')") }
    }
}
