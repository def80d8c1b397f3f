import Foundation
import GRDB
import NoxRuntime

/// An API key as stored: only a SHA-256 of the secret is kept.
public struct APIKeyRecord: Sendable, Equatable {
    public var id: String
    public var username: String
    public var name: String
    public var prefix: String
    public var scopes: [String]
    public var createdAt: UnixTime
    public var expiresAt: UnixTime?

    init(row: Row) {
        id = row["id"]
        username = row["username"]
        name = row["name"]
        prefix = row["prefix"]
        let scopesText: String = row["scopes"]
        scopes = (try? JSONDecoder().decode([String].self, from: Data(scopesText.utf8))) ?? []
        createdAt = row["created_at"]
        expiresAt = row["expires_at"]
    }
}

/// API keys: `nox_` + 32 random bytes. The secret has 256 bits of entropy, so a plain SHA-256
/// is a sound verifier (no KDF needed) and lets a key be found by its hash in one lookup.
public struct KeyStore: Sendable {
    let database: AuthDatabase
    public static let secretPrefix = "nox_"

    /// Creates a key; returns the record and the secret, which is never stored.
    public func create(username: String, name: String, scopes: [String], expiresAt: UnixTime?, now: UnixTime) async throws -> (APIKeyRecord, String) {
        let secret = Self.secretPrefix + SecureRandom.token(byteCount: 32)
        let id = "key_" + SecureRandom.token(byteCount: 9)
        let scopesText = String(decoding: try JSONEncoder().encode(scopes), as: UTF8.self)
        let record = try await database.pool.write { db in
            try db.execute(
                sql: "INSERT INTO api_keys (id, username, name, prefix, key_hash, scopes, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                arguments: [id, username, name, String(secret.prefix(12)), Digest.sha256Hex(secret), scopesText, now, expiresAt]
            )
            return try Row.fetchOne(db, sql: "SELECT * FROM api_keys WHERE id = ?", arguments: [id]).map(APIKeyRecord.init)
        }
        guard let record else { throw CryptoError("API key vanished after insert") }
        return (record, secret)
    }

    public func find(secret: String) async throws -> APIKeyRecord? {
        try await database.pool.read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM api_keys WHERE key_hash = ?", arguments: [Digest.sha256Hex(secret)]).map(APIKeyRecord.init)
        }
    }

    public func list(username: String, after cursor: String?, limit: Int) async throws -> [APIKeyRecord] {
        try await database.pool.read { db in
            try Row.fetchAll(
                db, sql: "SELECT * FROM api_keys WHERE username = ? AND id > ? ORDER BY id LIMIT ?",
                arguments: [username, cursor ?? "", limit]
            ).map(APIKeyRecord.init)
        }
    }

    /// Deletes one of the user's keys; false when the user has no such key.
    public func delete(id: String, username: String) async throws -> Bool {
        try await database.pool.write { db in
            try db.execute(sql: "DELETE FROM api_keys WHERE id = ? AND username = ?", arguments: [id, username])
            return db.changesCount > 0
        }
    }
}
