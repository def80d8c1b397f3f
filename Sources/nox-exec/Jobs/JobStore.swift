import Foundation
public import GRDB
import NoxRuntime

/// The record of every run, in nox-exec's SQLite database: what was asked (code, file, stdin,
/// args, the names of env variables — never their values, which may be secrets), how it went,
/// what it wrote, and a full-text index over the code for `GET /api/history?q=`.
///
/// Reads are scoped to a username where the API is, so another user's job reads as absent
/// (404, never 403). Synchronous GRDB calls: the daemon calls them off the cooperative pool.
public final class JobStore: Sendable {
    public let pool: DatabasePool

    /// The message of a run found `queued` or `running` when the daemon starts: its process
    /// (and the transient unit) went with the daemon that was running it.
    public static let interruptedMessage = "nox-exec stopped while this run was queued or running; it did not finish."

    /// Opens (creating if needed) the database at `path` and migrates it.
    public init(path: String) throws {
        pool = try NoxDatabase.openPool(at: path, migrator: Self.migrator)
    }

    /// A new job id: `job_` and 16 random bytes in hex, unguessable so no one can probe for
    /// another user's jobs.
    public static func newID() -> String {
        "job_" + SecureRandom.hex(byteCount: 16)
    }

    // MARK: - Life of a job

    /// Records a new queued job and returns its result object (status `queued`).
    /// - Parameters:
    ///   - id: a new one by default.
    ///   - createdAt: now by default.
    @discardableResult
    public func insert(queued request: JobRequest, id: String = JobStore.newID(), createdAt: Date = Date()) throws -> RunResult {
        let result = RunResult(id: id, language: request.language, status: .queued, createdAt: RFC3339.string(createdAt))
        let args = try Self.json(request.args)
        let envNames = try Self.json(request.envNames)
        try pool.write { db in
            try db.execute(
                sql: """
                    INSERT INTO jobs (id, username, language, code, file, stdin, args, env_names, status, created_at)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """,
                arguments: [
                    id, request.username, request.language, request.code, request.file, request.stdin, args, envNames,
                    RunStatus.queued.rawValue, result.createdAt,
                ])
        }
        return result
    }

    /// Moves a queued job to `running`; false if it is not queued (gone, cancelled meanwhile).
    @discardableResult
    public func markRunning(id: String, at date: Date = Date()) throws -> Bool {
        try pool.write { db in
            try db.execute(
                sql: "UPDATE jobs SET status = 'running', started_at = ? WHERE id = ? AND status = 'queued'",
                arguments: [RFC3339.string(date), id])
            return db.changesCount > 0
        }
    }

    /// Records the final result of job `id` (its id, language and creation time are kept; a
    /// nil `startedAt` keeps the stored one). The first final result wins: false if the job is
    /// already final (cancelled, recovered) or unknown.
    @discardableResult
    public func finish(id: String, result: RunResult) throws -> Bool {
        assert(result.status.isFinal, "finish(id:result:) needs a final status, not \(result.status)")
        let finished = try pool.write { db in
            try db.execute(
                sql: """
                    UPDATE jobs SET status = ?, exit_code = ?, signal = ?, stdout = ?, stderr = ?, stdout_truncated = ?,
                        stderr_truncated = ?, started_at = COALESCE(?, started_at), finished_at = ?, duration_ms = ?, cpu_ms = ?,
                        memory_peak_bytes = ?, error = ?
                    WHERE id = ? AND status IN ('queued', 'running')
                    """,
                arguments: [
                    result.status.rawValue, result.exitCode, result.signal, Data(result.stdout.utf8), Data(result.stderr.utf8),
                    result.stdoutTruncated, result.stderrTruncated, result.startedAt, result.finishedAt, result.durationMs,
                    result.cpuMs, result.memoryPeakBytes, result.status == .error ? result.error : nil, id,
                ])
            return db.changesCount > 0
        }
        if finished { RunMetrics.finished(result) }
        return finished
    }

    /// The result of job `id` if it is `username`'s (any user's for nil: an admin); nil otherwise.
    public func find(id: String, username: String?) throws -> RunResult? {
        try pool.read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM jobs WHERE id = ? AND (? IS NULL OR username = ?)", arguments: [id, username, username])
                .map(Self.result)
        }
    }

    /// At startup: every job still `queued` or `running` becomes `error` with
    /// `interruptedMessage` (nothing is running it any more). Returns how many.
    @discardableResult
    public func recoverInterrupted(now: Date = Date()) throws -> Int {
        try pool.write { db in
            try db.execute(
                sql: "UPDATE jobs SET status = 'error', error = ?, finished_at = ? WHERE status IN ('queued', 'running')",
                arguments: [Self.interruptedMessage, RFC3339.string(now)])
            return db.changesCount
        }
    }

    /// Deletes finished jobs created before `date` (history retention). Returns how many.
    @discardableResult
    public func prune(olderThan date: Date) throws -> Int {
        try pool.write { db in
            try db.execute(
                sql: "DELETE FROM jobs WHERE created_at < ? AND status NOT IN ('queued', 'running')", arguments: [RFC3339.string(date)])
            return db.changesCount
        }
    }

    // MARK: - Rows

    static func result(_ row: Row) -> RunResult {
        let stdout: Data = row["stdout"]
        let stderr: Data = row["stderr"]
        return RunResult(
            id: row["id"], language: row["language"], status: RunStatus(rawValue: row["status"]) ?? .error, exitCode: row["exit_code"],
            signal: row["signal"], stdout: RunResult.text(stdout), stderr: RunResult.text(stderr),
            stdoutTruncated: row["stdout_truncated"], stderrTruncated: row["stderr_truncated"], createdAt: row["created_at"],
            startedAt: row["started_at"], finishedAt: row["finished_at"], durationMs: row["duration_ms"], cpuMs: row["cpu_ms"],
            memoryPeakBytes: row["memory_peak_bytes"], error: row["error"])
    }

    static func json(_ strings: [String]) throws -> String {
        String(decoding: try JSONEncoder().encode(strings), as: UTF8.self)
    }
}
