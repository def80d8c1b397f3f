import Foundation
public import GRDB
public import NoxRuntime

/// One backup as recorded: the archive itself lives in the daemon's state, named by `id`.
/// Encodes as API.md's `{id, size, sha256, created_at, file_count}` (the owner is not sent).
public struct BackupRecord: Codable, Sendable, Equatable {
    public var id: String
    public var username = ""
    /// Bytes of the archive.
    public var size: Int64
    /// SHA-256 of the archive, lowercase hex.
    public var sha256: String
    public var fileCount: Int
    /// RFC 3339, UTC, milliseconds (`2026-01-02T03:04:05.678Z`): fixed width, so text order is
    /// time order, which the listing and its cursor rely on.
    public var createdAt: String

    /// - Parameters:
    ///   - id: a new one by default (`bk_` and 16 random bytes in hex).
    ///   - createdAt: now by default.
    public init(id: String = BackupRecord.newID(), username: String, size: Int64, sha256: String, fileCount: Int, createdAt: Date = Date()) {
        self.id = id
        self.username = username
        self.size = size
        self.sha256 = sha256
        self.fileCount = fileCount
        self.createdAt = Self.timestamp(createdAt)
    }

    /// A new id: unguessable, so one user cannot probe for another's backups.
    public static func newID() -> String {
        "bk_" + SecureRandom.hex(byteCount: 16)
    }

    /// `date` as stored: RFC 3339 UTC with exactly three fractional digits.
    public static func timestamp(_ date: Date) -> String { RFC3339.string(date) }

    init(row: Row) {
        id = row["id"]
        username = row["username"]
        size = row["size"]
        sha256 = row["sha256"]
        fileCount = row["file_count"]
        createdAt = row["created_at"]
    }

    /// The API's shape: `username` is left out (the caller's own, or not theirs to see) and
    /// decodes as `""`.
    enum CodingKeys: String, CodingKey {
        case id, size, sha256
        case createdAt = "created_at"
        case fileCount = "file_count"
    }
}

/// The records of users' backups, in the daemon's SQLite database. Every query is scoped to a
/// username, so another user's id reads as absent (the API answers 404, never 403).
///
/// Synchronous GRDB calls: the HTTP layer calls them off the event loop, next to the archive
/// work they go with (which blocks anyway).
public struct BackupStore: Sendable {
    let database: any DatabaseWriter

    public init(database: any DatabaseWriter) {
        self.database = database
    }

    /// Adds the `backups` table to the daemon's migrator (the daemon owns the database and its
    /// other tables).
    public static func registerMigrations(in migrator: inout DatabaseMigrator) {
        migrator.registerMigration("backups.v1") { db in
            try db.execute(
                sql: """
                    CREATE TABLE backups (
                        id TEXT PRIMARY KEY NOT NULL,
                        username TEXT NOT NULL,
                        size INTEGER NOT NULL,
                        sha256 TEXT NOT NULL,
                        file_count INTEGER NOT NULL,
                        created_at TEXT NOT NULL
                    );
                    CREATE INDEX backups_username_created ON backups(username, created_at);
                    """
            )
        }
    }

    public func insert(_ record: BackupRecord) throws {
        try database.write { db in
            try db.execute(
                sql: "INSERT INTO backups (id, username, size, sha256, file_count, created_at) VALUES (?, ?, ?, ?, ?, ?)",
                arguments: [record.id, record.username, record.size, record.sha256, record.fileCount, record.createdAt]
            )
        }
    }

    /// The user's backups, newest first. The cursor is the last item's (created_at, id): ids
    /// break ties of one millisecond, and a backup added meanwhile does not shift the pages.
    /// - Throws: `APIError.validation(field: "cursor")` for a cursor this store did not make.
    public func list(username: String, page: PageRequest) throws -> Page<BackupRecord> {
        var arguments: StatementArguments = [username]
        var after = ""
        if let cursor = page.cursor {
            let parts = cursor.split(separator: "|", maxSplits: 1).map(String.init)
            guard parts.count == 2 else { throw APIError.validation(field: "cursor", "cursor is not one this server issued.") }
            after = "AND (created_at < ? OR (created_at = ? AND id < ?))"
            arguments += [parts[0], parts[0], parts[1]]
        }
        arguments += [page.limit + 1]
        let sql = "SELECT * FROM backups WHERE username = ? \(after) ORDER BY created_at DESC, id DESC LIMIT ?"
        let records = try database.read { [arguments] db in try Row.fetchAll(db, sql: sql, arguments: arguments).map(BackupRecord.init) }
        let items = Array(records.prefix(page.limit))
        let next = records.count > page.limit ? items.last.map { PageRequest.cursor(for: "\($0.createdAt)|\($0.id)") } : nil
        return Page(items: items, next_cursor: next)
    }

    /// The user's backup `id`; nil if there is none, or it is another user's.
    public func find(id: String, username: String) throws -> BackupRecord? {
        try database.read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM backups WHERE id = ? AND username = ?", arguments: [id, username]).map(BackupRecord.init)
        }
    }

    /// Deletes the record (not the archive); false if the user has no such backup.
    @discardableResult
    public func delete(id: String, username: String) throws -> Bool {
        try database.write { db in
            try db.execute(sql: "DELETE FROM backups WHERE id = ? AND username = ?", arguments: [id, username])
            return db.changesCount > 0
        }
    }

    /// Deletes all the user's records (when the user is deleted); returns them, so the caller
    /// can remove their archives.
    @discardableResult
    public func deleteAll(username: String) throws -> [BackupRecord] {
        try database.write { db in
            let records = try Row.fetchAll(db, sql: "SELECT * FROM backups WHERE username = ? ORDER BY created_at, id", arguments: [username])
                .map(BackupRecord.init)
            try db.execute(sql: "DELETE FROM backups WHERE username = ?", arguments: [username])
            return records
        }
    }

    /// The user's backups past the newest `keep`, newest first: what pruning deletes.
    public func oldest(username: String, beyond keep: Int) throws -> [BackupRecord] {
        try database.read { db in
            try Row.fetchAll(
                db, sql: "SELECT * FROM backups WHERE username = ? ORDER BY created_at DESC, id DESC LIMIT -1 OFFSET ?",
                arguments: [username, max(0, keep)]
            ).map(BackupRecord.init)
        }
    }
}
