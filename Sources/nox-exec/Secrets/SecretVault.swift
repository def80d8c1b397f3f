import Foundation
import GRDB
import HTTPTypes
import NoxRuntime

/// Users' secrets in nox-exec's own SQLite database (`secrets.sqlite` in its StateDirectory,
/// beside jobs.sqlite but apart from it, so the history can be backed up or inspected without
/// the secrets). nox-exec keeps them because it is the daemon that injects them into runs.
///
/// Values are sealed with AES-256-GCM under a key that exists only as nox-exec's systemd
/// credential (`SecretKey`), never in this database; the associated data binds each value to
/// its user and name, so a row copied to another user or renamed no longer opens.
/// Synchronous GRDB calls: the daemon calls them off the cooperative pool.
final class SecretVault: Sendable {
    let pool: DatabasePool
    let key: AESGCM.Key

    /// What the API shows of a secret: never its value.
    struct Metadata: Codable, Sendable, Equatable {
        var name: String
        var created_at: String
        var updated_at: String
    }

    init(path: String, key: AESGCM.Key) throws {
        pool = try NoxDatabase.openPool(at: path, migrator: Self.migrator)
        self.key = key
    }

    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("secrets.v1") { db in
            try db.execute(
                sql: """
                    CREATE TABLE secrets (
                        username TEXT NOT NULL,
                        name TEXT NOT NULL,
                        sealed BLOB NOT NULL,
                        created_at TEXT NOT NULL,
                        updated_at TEXT NOT NULL,
                        PRIMARY KEY (username, name)
                    ) WITHOUT ROWID;
                    """)
        }
        return migrator
    }

    /// `nox-secret-v1`, the user and the name, NUL-separated (neither can hold NUL): changing
    /// any of them makes the stored box fail to open.
    static func associatedData(username: String, name: String) -> Data {
        Data("nox-secret-v1\u{0}\(username)\u{0}\(name)".utf8)
    }

    /// Creates or replaces `username`'s secret `name`; `created` tells which.
    func put(username: String, name: String, value: String, now: Date = Date()) throws -> (metadata: Metadata, created: Bool) {
        let sealed = try AESGCM.seal(Data(value.utf8), key: key, associatedData: Self.associatedData(username: username, name: name))
        let time = RFC3339.string(now)
        return try pool.write { db in
            if let row = try Row.fetchOne(
                db, sql: "SELECT created_at FROM secrets WHERE username = ? AND name = ?", arguments: [username, name])
            {
                try db.execute(
                    sql: "UPDATE secrets SET sealed = ?, updated_at = ? WHERE username = ? AND name = ?",
                    arguments: [sealed, time, username, name])
                return (Metadata(name: name, created_at: row["created_at"], updated_at: time), false)
            }
            let count = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM secrets WHERE username = ?", arguments: [username]) ?? 0
            guard count < SecretName.maximumPerUser else {
                throw APIError.conflict(
                    code: "secret_limit_reached", "You already have \(SecretName.maximumPerUser) secrets; delete one first.")
            }
            try db.execute(
                sql: "INSERT INTO secrets (username, name, sealed, created_at, updated_at) VALUES (?, ?, ?, ?, ?)",
                arguments: [username, name, sealed, time, time])
            return (Metadata(name: name, created_at: time, updated_at: time), true)
        }
    }

    /// Deletes `username`'s secret `name`; false when there is none.
    func delete(username: String, name: String) throws -> Bool {
        try pool.write { db in
            try db.execute(sql: "DELETE FROM secrets WHERE username = ? AND name = ?", arguments: [username, name])
            return db.changesCount > 0
        }
    }

    /// `username`'s secrets by name, a page at a time (the cursor is the last name given).
    func list(username: String, page: PageRequest) throws -> Page<Metadata> {
        let rows = try pool.read { db in
            try Row.fetchAll(
                db,
                sql: "SELECT name, created_at, updated_at FROM secrets WHERE username = ? AND name > ? ORDER BY name LIMIT ?",
                arguments: [username, page.cursor ?? "", page.limit + 1])
        }
        let items = rows.prefix(page.limit).map { Metadata(name: $0["name"], created_at: $0["created_at"], updated_at: $0["updated_at"]) }
        let next = rows.count > page.limit ? items.last.map { PageRequest.cursor(for: $0.name) } : nil
        return Page(items: Array(items), next_cursor: next)
    }

    /// The values of `username`'s secrets `names`, for one run. A name the user has no secret
    /// of is `422 unknown_secret`; a box that does not open (wrong key, tampered row) is a
    /// server error whose message names the secret but never holds any value.
    func resolve(username: String, names: [String]) throws -> [String: String] {
        guard !names.isEmpty else { return [:] }
        let rows = try pool.read { db in
            try Row.fetchAll(
                db,
                sql: "SELECT name, sealed FROM secrets WHERE username = ? AND name IN (\(names.map { _ in "?" }.joined(separator: ",")))",
                arguments: StatementArguments([username] + names))
        }
        var sealed: [String: Data] = [:]
        for row in rows { sealed[row["name"]] = row["sealed"] }
        var values: [String: String] = [:]
        for name in names {
            guard let box = sealed[name] else {
                throw APIError(
                    .unprocessableContent, code: "unknown_secret", message: "secrets: you have no secret named \(name).",
                    details: ["field": "secrets", "name": name])
            }
            do {
                let plain = try AESGCM.open(box, key: key, associatedData: Self.associatedData(username: username, name: name))
                values[name] = String(decoding: plain, as: UTF8.self)
            } catch {
                throw SecretError("The secret \(name) cannot be decrypted: it was stored under another key or changed.")
            }
        }
        return values
    }
}

/// A failure of the secrets machinery (key, decryption); the message never holds a value.
struct SecretError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
