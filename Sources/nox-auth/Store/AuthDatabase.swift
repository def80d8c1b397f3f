import Foundation
public import GRDB
import NoxRuntime

/// nox-auth's own SQLite database (WAL): users, API keys, refresh tokens, the audit log.
public struct AuthDatabase: Sendable {
    public let pool: DatabasePool

    /// Opens (creating if needed) the database at `path` and migrates it.
    public init(path: String) throws {
        pool = try NoxDatabase.openPool(at: path, migrator: Self.migrator)
    }

    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1") { db in
            try db.execute(
                sql: """
                    CREATE TABLE users (
                        username TEXT PRIMARY KEY NOT NULL,
                        password_hash TEXT NOT NULL,
                        role TEXT NOT NULL,
                        quotas TEXT NOT NULL DEFAULT '{}',
                        disabled INTEGER NOT NULL DEFAULT 0,
                        created_at INTEGER NOT NULL,
                        updated_at INTEGER NOT NULL
                    );
                    CREATE TABLE api_keys (
                        id TEXT PRIMARY KEY NOT NULL,
                        username TEXT NOT NULL REFERENCES users(username) ON DELETE CASCADE,
                        name TEXT NOT NULL,
                        prefix TEXT NOT NULL,
                        key_hash TEXT NOT NULL UNIQUE,
                        scopes TEXT NOT NULL,
                        created_at INTEGER NOT NULL,
                        expires_at INTEGER
                    );
                    CREATE INDEX api_keys_username ON api_keys(username);
                    CREATE TABLE token_families (
                        id TEXT PRIMARY KEY NOT NULL,
                        username TEXT NOT NULL REFERENCES users(username) ON DELETE CASCADE,
                        created_at INTEGER NOT NULL,
                        revoked_at INTEGER
                    );
                    CREATE INDEX token_families_username ON token_families(username);
                    CREATE TABLE refresh_tokens (
                        token_hash TEXT PRIMARY KEY NOT NULL,
                        family_id TEXT NOT NULL REFERENCES token_families(id) ON DELETE CASCADE,
                        created_at INTEGER NOT NULL,
                        expires_at INTEGER NOT NULL,
                        spent_at INTEGER
                    );
                    CREATE INDEX refresh_tokens_family ON refresh_tokens(family_id);
                    CREATE TABLE audit (
                        id INTEGER PRIMARY KEY AUTOINCREMENT,
                        time INTEGER NOT NULL,
                        user TEXT,
                        action TEXT NOT NULL,
                        target TEXT,
                        outcome TEXT NOT NULL,
                        request_id TEXT,
                        source_ip TEXT
                    );
                    CREATE INDEX audit_user ON audit(user, id);
                    CREATE INDEX audit_action ON audit(action, id);
                    CREATE INDEX audit_time ON audit(time);
                    """
            )
        }
        return migrator
    }
}

/// Seconds since 1970, the unit every timestamp is stored in.
public typealias UnixTime = Int

public enum Clock {
    public static func now() -> UnixTime { Int(Date().timeIntervalSince1970) }

    /// RFC 3339 UTC, e.g. `2026-11-24T17:00:00Z`.
    public static func rfc3339(_ time: UnixTime) -> String {
        Date(timeIntervalSince1970: TimeInterval(time)).formatted(.iso8601)
    }

    /// Parses RFC 3339 (with or without fractional seconds, any offset).
    public static func parseRFC3339(_ text: String) -> UnixTime? {
        if let date = try? Date(text, strategy: .iso8601) { return Int(date.timeIntervalSince1970) }
        let fractional = Date.ISO8601FormatStyle(includingFractionalSeconds: true)
        if let date = try? Date(text, strategy: fractional) { return Int(date.timeIntervalSince1970) }
        return nil
    }
}
