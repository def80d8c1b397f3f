import GRDB
import Logging
import NoxRuntime

/// One audit event: who did what to what, and how it ended.
public struct AuditEvent: Sendable, Equatable, Codable {
    public var id: Int?
    public var time: String
    public var user: String?
    public var action: String
    public var target: String?
    public var outcome: String
    public var request_id: String?
    public var source_ip: String?

    public enum Outcome: String, Sendable { case success, failure, denied }

    /// Every field, null when unknown: clients can rely on the keys being there.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(id, forKey: .id)
        try container.encode(time, forKey: .time)
        try container.encode(user, forKey: .user)
        try container.encode(action, forKey: .action)
        try container.encode(target, forKey: .target)
        try container.encode(outcome, forKey: .outcome)
        try container.encode(request_id, forKey: .request_id)
        try container.encode(source_ip, forKey: .source_ip)
    }
}

/// The audit log: SQLite (queryable through `/api/admin/audit`) and journald.
public struct AuditLog: Sendable {
    let database: AuthDatabase
    let logger: Logger

    public func record(
        user: String?, action: String, target: String?, outcome: AuditEvent.Outcome,
        requestID: String?, sourceIP: String?, now: UnixTime
    ) async throws {
        try await database.pool.write { db in
            try db.execute(
                sql: "INSERT INTO audit (time, user, action, target, outcome, request_id, source_ip) VALUES (?, ?, ?, ?, ?, ?, ?)",
                arguments: [now, user, action, target, outcome.rawValue, requestID, sourceIP]
            )
        }
        var metadata: Logger.Metadata = [
            "nox.audit.action": .string(action),
            "nox.audit.outcome": .string(outcome.rawValue),
        ]
        if let user { metadata["nox.user"] = .string(user) }
        if let target { metadata["nox.audit.target"] = .string(target) }
        if let requestID { metadata["nox.request_id"] = .string(requestID) }
        if let sourceIP { metadata["client.address"] = .string(sourceIP) }
        logger.notice("audit: \(action) \(outcome.rawValue)\(target.map { " " + $0 } ?? "")\(user.map { " by " + $0 } ?? "")", metadata: metadata)
    }

    public struct Query: Sendable {
        public var user: String?
        public var action: String?
        public var since: UnixTime?
        public var until: UnixTime?
        /// Only events older than this id (the cursor).
        public var beforeID: Int?
        public var limit: Int
    }

    /// Events newest first.
    public func query(_ query: Query) async throws -> [AuditEvent] {
        var clauses: [String] = []
        var arguments: StatementArguments = []
        if let user = query.user { clauses.append("user = ?"); arguments += [user] }
        if let action = query.action { clauses.append("action = ?"); arguments += [action] }
        if let since = query.since { clauses.append("time >= ?"); arguments += [since] }
        if let until = query.until { clauses.append("time <= ?"); arguments += [until] }
        if let before = query.beforeID { clauses.append("id < ?"); arguments += [before] }
        let whereClause = clauses.isEmpty ? "" : "WHERE " + clauses.joined(separator: " AND ")
        arguments += [query.limit]
        let sql = "SELECT * FROM audit \(whereClause) ORDER BY id DESC LIMIT ?"
        let finalArguments = arguments
        return try await database.pool.read { db in
            try Row.fetchAll(db, sql: sql, arguments: finalArguments).map { row in
                AuditEvent(
                    id: row["id"], time: Clock.rfc3339(row["time"]), user: row["user"], action: row["action"],
                    target: row["target"], outcome: row["outcome"], request_id: row["request_id"], source_ip: row["source_ip"]
                )
            }
        }
    }
}
