import Foundation
public import GRDB
import NoxRuntime

/// Which job answered which cache key, per user, in its own SQLite database (`cache.sqlite`).
///
/// An entry points at a job in `JobStore`; the stored result there is what a hit returns. An entry
/// is made when a cacheable run is submitted and counts only once that job has `succeeded` or
/// `failed` (the caller checks), so `wait: false` runs are cached like waiting ones. Entries older
/// than the TTL do not match; each user keeps at most `entriesPerUser`, the least recently used
/// going first.
public final class ResultCache: Sendable {
    public let pool: DatabasePool
    public let ttl: TimeInterval
    public let entriesPerUser: Int

    public init(path: String, ttlSeconds: Int, entriesPerUser: Int) throws {
        pool = try NoxDatabase.openPool(at: path, migrator: Self.migrator)
        ttl = TimeInterval(ttlSeconds)
        self.entriesPerUser = entriesPerUser
    }

    /// The job recorded for `key` of `username` within the TTL, marking the entry used; nil if none.
    public func lookup(username: String, key: String, now: Date = Date()) throws -> String? {
        try pool.write { db in
            guard
                let job = try String.fetchOne(
                    db, sql: "SELECT job_id FROM cache_entries WHERE username = ? AND key = ? AND created_at >= ?",
                    arguments: [username, key, now.timeIntervalSince1970 - ttl])
            else { return nil }
            try db.execute(
                sql: "UPDATE cache_entries SET used_at = ? WHERE username = ? AND key = ?",
                arguments: [now.timeIntervalSince1970, username, key])
            return job
        }
    }

    /// Records that `jobID` answers `key` (replacing an older entry), then drops the user's least
    /// recently used entries past the bound and every expired one of theirs.
    public func remember(username: String, key: String, jobID: String, now: Date = Date()) throws {
        let time = now.timeIntervalSince1970
        try pool.write { db in
            try db.execute(
                sql: "INSERT OR REPLACE INTO cache_entries (username, key, job_id, created_at, used_at) VALUES (?, ?, ?, ?, ?)",
                arguments: [username, key, jobID, time, time])
            try db.execute(sql: "DELETE FROM cache_entries WHERE username = ? AND created_at < ?", arguments: [username, time - ttl])
            try db.execute(
                sql: """
                    DELETE FROM cache_entries WHERE username = ? AND key NOT IN (
                        SELECT key FROM cache_entries WHERE username = ? ORDER BY used_at DESC, created_at DESC LIMIT ?)
                    """,
                arguments: [username, username, entriesPerUser])
        }
    }

    /// Drops an entry whose job no longer qualifies (gone from history, or not a cacheable result).
    public func forget(username: String, key: String) throws {
        try pool.write { db in
            try db.execute(sql: "DELETE FROM cache_entries WHERE username = ? AND key = ?", arguments: [username, key])
        }
    }

    /// How many entries `username` has (for tests and stats).
    public func count(username: String) throws -> Int {
        try pool.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM cache_entries WHERE username = ?", arguments: [username]) ?? 0 }
    }

    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("cache.v1") { db in
            try db.execute(
                sql: """
                    CREATE TABLE cache_entries (
                        username TEXT NOT NULL,
                        key TEXT NOT NULL,
                        job_id TEXT NOT NULL,
                        created_at REAL NOT NULL,
                        used_at REAL NOT NULL,
                        PRIMARY KEY (username, key)
                    ) WITHOUT ROWID;
                    CREATE INDEX cache_entries_used ON cache_entries(username, used_at);
                    """)
        }
        return migrator
    }
}
