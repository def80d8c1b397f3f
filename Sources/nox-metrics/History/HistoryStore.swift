import Foundation
public import GRDB
import NoxRuntime

/// nox-metrics's time series, in its own SQLite database: a point a second for the last hour, and
/// a point a minute (the minute's averages) for `retentionDays`. ``compact(now:)`` folds the
/// finished minutes of 1-second points into 1-minute points, then drops what is past retention.
///
/// Synchronous GRDB calls: the daemon calls them off the cooperative pool.
public final class HistoryStore: Sendable {
    public static let fineResolution: Int64 = 1
    public static let coarseResolution: Int64 = 60
    /// 1-second points are kept this long (seconds).
    public static let fineRetention: Int64 = 3600

    public let pool: DatabasePool
    public let retentionDays: Int

    public init(path: String, retentionDays: Int = 7) throws {
        pool = try NoxDatabase.openPool(at: path, migrator: Self.migrator)
        self.retentionDays = retentionDays
    }

    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("history.v1") { db in
            try db.execute(
                sql: """
                    CREATE TABLE samples (
                        resolution INTEGER NOT NULL,
                        t INTEGER NOT NULL,
                        cpu_percent REAL NOT NULL,
                        memory_used_bytes INTEGER NOT NULL,
                        memory_total_bytes INTEGER NOT NULL,
                        disk_used_bytes INTEGER NOT NULL,
                        disk_total_bytes INTEGER NOT NULL,
                        load1 REAL NOT NULL,
                        load5 REAL NOT NULL,
                        load15 REAL NOT NULL,
                        PRIMARY KEY (resolution, t)
                    ) WITHOUT ROWID;
                    """)
        }
        return migrator
    }

    static let columns = "t, cpu_percent, memory_used_bytes, memory_total_bytes, disk_used_bytes, disk_total_bytes, load1, load5, load15"

    /// Stores a 1-second point (a second sampled twice keeps the later one).
    public func record(_ point: HistoryPoint) throws {
        try pool.write { db in try Self.insert(point, resolution: Self.fineResolution, db) }
    }

    static func insert(_ point: HistoryPoint, resolution: Int64, _ db: Database) throws {
        try db.execute(
            sql: "INSERT OR REPLACE INTO samples (resolution, \(columns)) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            arguments: [
                resolution, point.t, point.cpu_percent, point.memory_used_bytes, point.memory_total_bytes, point.disk_used_bytes,
                point.disk_total_bytes, point.load1, point.load5, point.load15,
            ])
    }

    /// Downsampling and retention: every finished minute that has 1-second points and no
    /// 1-minute point yet gets one (the averages, stamped with the minute's start); then
    /// 1-second points older than an hour and 1-minute points older than `retentionDays` go.
    /// - Returns: how many 1-minute points were made.
    @discardableResult
    public func compact(now: Int64) throws -> Int {
        let minuteStart = now - now % Self.coarseResolution
        return try pool.write { db in
            try db.execute(
                sql: """
                    INSERT OR IGNORE INTO samples (resolution, \(Self.columns))
                    SELECT ?, (t / 60) * 60, avg(cpu_percent), CAST(avg(memory_used_bytes) AS INTEGER),
                        CAST(avg(memory_total_bytes) AS INTEGER), CAST(avg(disk_used_bytes) AS INTEGER),
                        CAST(avg(disk_total_bytes) AS INTEGER), avg(load1), avg(load5), avg(load15)
                    FROM samples WHERE resolution = ? AND t < ? GROUP BY t / 60
                    """,
                arguments: [Self.coarseResolution, Self.fineResolution, minuteStart])
            let made = db.changesCount
            try db.execute(
                sql: "DELETE FROM samples WHERE resolution = ? AND t < ?", arguments: [Self.fineResolution, now - Self.fineRetention])
            try db.execute(
                sql: "DELETE FROM samples WHERE resolution = ? AND t < ?",
                arguments: [Self.coarseResolution, now - Int64(retentionDays) * 86_400])
            return made
        }
    }

    /// The points of the last `range` seconds before `now`, oldest first: 1-second points for
    /// up to an hour, 1-minute points beyond.
    public func points(range: Int64, now: Int64) throws -> (resolution: Int64, points: [HistoryPoint]) {
        let resolution = range <= Self.fineRetention ? Self.fineResolution : Self.coarseResolution
        let points = try pool.read { db in
            try Row.fetchAll(
                db, sql: "SELECT \(Self.columns) FROM samples WHERE resolution = ? AND t > ? AND t <= ? ORDER BY t",
                arguments: [resolution, now - range, now]
            ).map { row in
                HistoryPoint(
                    t: row["t"], cpu_percent: row["cpu_percent"], memory_used_bytes: row["memory_used_bytes"],
                    memory_total_bytes: row["memory_total_bytes"], disk_used_bytes: row["disk_used_bytes"],
                    disk_total_bytes: row["disk_total_bytes"], load1: row["load1"], load5: row["load5"], load15: row["load15"])
            }
        }
        return (resolution, points)
    }

    /// How many points of each resolution are stored.
    public func counts() throws -> (fine: Int, coarse: Int) {
        try pool.read { db in
            let fine = try Int.fetchOne(db, sql: "SELECT count(*) FROM samples WHERE resolution = ?", arguments: [Self.fineResolution]) ?? 0
            let coarse = try Int.fetchOne(db, sql: "SELECT count(*) FROM samples WHERE resolution = ?", arguments: [Self.coarseResolution]) ?? 0
            return (fine, coarse)
        }
    }
}
