import GRDB
import NoxRuntime

/// Refresh tokens: opaque, stored as SHA-256, rotated on every use, grouped in families.
/// Presenting a spent token again means it was stolen (or replayed): the whole family is revoked.
public struct RefreshTokenStore: Sendable {
    let database: AuthDatabase

    /// Starts a new family (a login) and returns its first token.
    public func startFamily(username: String, ttl: Int, now: UnixTime) async throws -> String {
        let token = SecureRandom.token(byteCount: 32)
        let family = SecureRandom.token(byteCount: 12)
        try await database.pool.write { db in
            try db.execute(sql: "INSERT INTO token_families (id, username, created_at) VALUES (?, ?, ?)", arguments: [family, username, now])
            try db.execute(
                sql: "INSERT INTO refresh_tokens (token_hash, family_id, created_at, expires_at) VALUES (?, ?, ?, ?)",
                arguments: [Digest.sha256Hex(token), family, now, now + ttl]
            )
        }
        return token
    }

    public enum RotationOutcome: Sendable, Equatable {
        case rotated(username: String, token: String)
        case unknown
        case expired
        case revoked
        /// A spent token came back: the family is now revoked.
        case reused(username: String)
    }

    /// Spends `token` and issues its successor in the same family, in one transaction.
    public func rotate(_ token: String, ttl: Int, now: UnixTime) async throws -> RotationOutcome {
        let next = SecureRandom.token(byteCount: 32)
        return try await database.pool.write { db in
            guard
                let row = try Row.fetchOne(
                    db,
                    sql: """
                        SELECT t.family_id, t.expires_at, t.spent_at, f.username, f.revoked_at
                        FROM refresh_tokens t JOIN token_families f ON f.id = t.family_id
                        WHERE t.token_hash = ?
                        """,
                    arguments: [Digest.sha256Hex(token)]
                )
            else { return .unknown }
            let family: String = row["family_id"]
            let username: String = row["username"]
            if (row["revoked_at"] as UnixTime?) != nil { return .revoked }
            if (row["spent_at"] as UnixTime?) != nil {
                try db.execute(sql: "UPDATE token_families SET revoked_at = ? WHERE id = ?", arguments: [now, family])
                return .reused(username: username)
            }
            if (row["expires_at"] as UnixTime) <= now { return .expired }
            try db.execute(sql: "UPDATE refresh_tokens SET spent_at = ? WHERE token_hash = ?", arguments: [now, Digest.sha256Hex(token)])
            try db.execute(
                sql: "INSERT INTO refresh_tokens (token_hash, family_id, created_at, expires_at) VALUES (?, ?, ?, ?)",
                arguments: [Digest.sha256Hex(next), family, now, now + ttl]
            )
            return .rotated(username: username, token: next)
        }
    }

    /// Revokes the family `token` belongs to; returns its user, or nil for an unknown token.
    public func revokeFamily(of token: String, now: UnixTime) async throws -> String? {
        try await database.pool.write { db in
            guard
                let row = try Row.fetchOne(
                    db,
                    sql: "SELECT f.id, f.username FROM refresh_tokens t JOIN token_families f ON f.id = t.family_id WHERE t.token_hash = ?",
                    arguments: [Digest.sha256Hex(token)]
                )
            else { return nil }
            try db.execute(sql: "UPDATE token_families SET revoked_at = COALESCE(revoked_at, ?) WHERE id = ?", arguments: [now, row["id"] as String])
            return row["username"]
        }
    }

    /// Drops tokens that can no longer be used (expired, or of families revoked long ago).
    public func prune(now: UnixTime) async throws {
        try await database.pool.write { db in
            try db.execute(sql: "DELETE FROM refresh_tokens WHERE expires_at < ?", arguments: [now])
            try db.execute(
                sql: "DELETE FROM token_families WHERE NOT EXISTS (SELECT 1 FROM refresh_tokens r WHERE r.family_id = token_families.id)"
            )
        }
    }
}
