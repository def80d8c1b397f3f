public import GRDB

/// How every Nox daemon opens its SQLite store: a WAL pool (readers never wait for the
/// writer), foreign keys on, a busy timeout instead of immediate SQLITE_BUSY, NORMAL sync
/// (durable across a daemon crash; the last commits may be lost only on power loss), migrated.
public enum NoxDatabase {
    public static func openPool(at path: String, migrator: DatabaseMigrator) throws -> DatabasePool {
        var configuration = Configuration()
        configuration.foreignKeysEnabled = true
        configuration.busyMode = .timeout(5)
        configuration.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = NORMAL")
        }
        let pool = try DatabasePool(path: path, configuration: configuration)
        try migrator.migrate(pool)
        return pool
    }
}
