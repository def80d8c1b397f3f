import Foundation
import GRDB
import NoxRuntime

/// A user as stored, with quotas kept as overrides of the server defaults.
public struct UserRecord: Sendable, Equatable {
    public var username: String
    public var passwordHash: String
    public var role: Role
    public var quotaOverrides: [String: Int]
    public var disabled: Bool
    public var createdAt: UnixTime
    public var updatedAt: UnixTime

    init(row: Row) {
        username = row["username"]
        passwordHash = row["password_hash"]
        role = Role(rawValue: row["role"]) ?? .viewer
        let quotasText: String = row["quotas"]
        quotaOverrides = (try? JSONDecoder().decode([String: Int].self, from: Data(quotasText.utf8))) ?? [:]
        disabled = row["disabled"]
        createdAt = row["created_at"]
        updatedAt = row["updated_at"]
    }
}

/// Users: create, read, list, change, delete.
public struct UserStore: Sendable {
    let database: AuthDatabase

    public func find(_ username: String) async throws -> UserRecord? {
        try await database.pool.read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM users WHERE username = ?", arguments: [username]).map(UserRecord.init)
        }
    }

    public func count() async throws -> Int {
        try await database.pool.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM users") ?? 0 }
    }

    /// Creates a user; false when the name is taken.
    public func create(username: String, passwordHash: String, role: Role, quotaOverrides: [String: Int], now: UnixTime) async throws -> UserRecord? {
        let quotas = String(decoding: try JSONEncoder().encode(quotaOverrides), as: UTF8.self)
        return try await database.pool.write { db in
            guard try Row.fetchOne(db, sql: "SELECT 1 FROM users WHERE username = ?", arguments: [username]) == nil else {
                return nil
            }
            try db.execute(
                sql: "INSERT INTO users (username, password_hash, role, quotas, disabled, created_at, updated_at) VALUES (?, ?, ?, ?, 0, ?, ?)",
                arguments: [username, passwordHash, role.rawValue, quotas, now, now]
            )
            return try Row.fetchOne(db, sql: "SELECT * FROM users WHERE username = ?", arguments: [username]).map(UserRecord.init)
        }
    }

    /// Users in name order after `cursor`.
    public func list(after cursor: String?, limit: Int) async throws -> [UserRecord] {
        try await database.pool.read { db in
            try Row.fetchAll(
                db, sql: "SELECT * FROM users WHERE username > ? ORDER BY username LIMIT ?",
                arguments: [cursor ?? "", limit]
            ).map(UserRecord.init)
        }
    }

    public struct Change: Sendable {
        public var role: Role?
        public var passwordHash: String?
        /// Overrides to set; a nil value removes the override (back to the server default).
        public var quotaOverrides: [String: Int?]?
        public var disabled: Bool?
    }

    public enum ChangeOutcome: Sendable {
        case updated(UserRecord)
        case notFound
        /// The change would leave no enabled admin.
        case lastAdmin
    }

    /// Applies a change atomically. Disabling a user or changing their password revokes their
    /// refresh-token families, so every session has to sign in again.
    public func update(_ username: String, _ change: Change, now: UnixTime) async throws -> ChangeOutcome {
        try await database.pool.write { db in
            guard let row = try Row.fetchOne(db, sql: "SELECT * FROM users WHERE username = ?", arguments: [username]) else {
                return .notFound
            }
            let before = UserRecord(row: row)
            var user = before
            if let role = change.role { user.role = role }
            if let hash = change.passwordHash { user.passwordHash = hash }
            for (name, value) in change.quotaOverrides ?? [:] {
                user.quotaOverrides[name] = value
            }
            if let disabled = change.disabled { user.disabled = disabled }
            if before.role == .admin, !before.disabled, user.role != .admin || user.disabled, try Self.activeAdminCount(db) <= 1 {
                return .lastAdmin
            }
            user.updatedAt = now
            let quotas = String(decoding: try JSONEncoder().encode(user.quotaOverrides), as: UTF8.self)
            try db.execute(
                sql: "UPDATE users SET password_hash = ?, role = ?, quotas = ?, disabled = ?, updated_at = ? WHERE username = ?",
                arguments: [user.passwordHash, user.role.rawValue, quotas, user.disabled, now, username]
            )
            if change.disabled == true || change.passwordHash != nil {
                try db.execute(
                    sql: "UPDATE token_families SET revoked_at = ? WHERE username = ? AND revoked_at IS NULL",
                    arguments: [now, username]
                )
            }
            return .updated(user)
        }
    }

    public enum DeleteOutcome: Sendable { case deleted, notFound, lastAdmin }

    /// Deletes a user with their keys and tokens (cascade).
    public func delete(_ username: String) async throws -> DeleteOutcome {
        try await database.pool.write { db in
            guard let row = try Row.fetchOne(db, sql: "SELECT * FROM users WHERE username = ?", arguments: [username]) else {
                return .notFound
            }
            let user = UserRecord(row: row)
            if user.role == .admin, !user.disabled, try Self.activeAdminCount(db) <= 1 {
                return .lastAdmin
            }
            try db.execute(sql: "DELETE FROM users WHERE username = ?", arguments: [username])
            return .deleted
        }
    }

    static func activeAdminCount(_ db: Database) throws -> Int {
        try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM users WHERE role = 'admin' AND disabled = 0") ?? 0
    }
}
