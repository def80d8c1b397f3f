import Foundation
import NoxIPC
public import NoxRuntime

/// `GET /api/stats`: runs from nox-exec's history (`io.nox.Exec.GetStats`) and storage from
/// nox-files (`io.nox.Files.ListUsage`/`GetUsage`).
public struct StatsService: Sendable {
    let execPath: String
    let filesPath: String

    public init(execPath: String, filesPath: String) {
        self.execPath = execPath
        self.filesPath = filesPath
    }

    public struct Usage: Codable, Sendable {
        var username: String
        var bytes: Int64
        var files: Int
    }

    struct UsageReply: Decodable, Sendable { var usage: Usage }
    struct UsageList: Decodable, Sendable { var users: [Usage] }

    /// API.md's `/api/stats` body.
    public struct Report: Encodable, Sendable {
        /// The `since=` asked for, or null for all of history.
        public var since: String?
        public var runs: Runs
        public var duration_ms: Percentiles
        public var storage_bytes: Int64
        public var users: [String: UserStats]

        enum CodingKeys: String, CodingKey { case since, runs, duration_ms, storage_bytes, users }

        public func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(since, forKey: .since)
            try container.encode(runs, forKey: .runs)
            try container.encode(duration_ms, forKey: .duration_ms)
            try container.encode(storage_bytes, forKey: .storage_bytes)
            try container.encode(users, forKey: .users)
        }
    }
    public struct Runs: Encodable, Sendable {
        public var total: Int
        public var by_status: [String: Int]
        public var by_language: [String: Int]
    }
    public struct Percentiles: Encodable, Sendable {
        public var p50: Int?
        public var p95: Int?
        public var p99: Int?

        public func encode(to encoder: any Encoder) throws {
            // Always present, null when there is no finished run.
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(p50, forKey: .p50)
            try container.encode(p95, forKey: .p95)
            try container.encode(p99, forKey: .p99)
        }
        enum CodingKeys: String, CodingKey { case p50, p95, p99 }
    }
    public struct UserStats: Encodable, Sendable {
        public var runs: Int
        public var storage_bytes: Int64
    }

    /// - Parameters:
    ///   - username: one user's statistics, or everyone's for nil (admins only: the route decides).
    public func report(since: String?, username: String?) async throws -> Report {
        async let runs = VarlinkPeer.call(
            execPath, "io.nox.Exec.GetStats", parameters: RunStatsWire.Parameters(since: since, username: username), returning: RunStatsWire.Reply.self)
        async let usage = storage(username: username)
        let (exec, storageByUser) = try await (runs, usage)
        var users: [String: UserStats] = [:]
        for count in exec.by_user { users[count.name] = UserStats(runs: count.runs, storage_bytes: 0) }
        for (name, bytes) in storageByUser { users[name, default: UserStats(runs: 0, storage_bytes: 0)].storage_bytes = bytes }
        if let username, users[username] == nil { users[username] = UserStats(runs: 0, storage_bytes: 0) }
        return Report(
            since: since,
            runs: Runs(
                total: exec.total, by_status: Dictionary(uniqueKeysWithValues: exec.by_status.map { ($0.name, $0.runs) }),
                by_language: Dictionary(uniqueKeysWithValues: exec.by_language.map { ($0.name, $0.runs) })),
            duration_ms: Percentiles(p50: exec.p50_ms, p95: exec.p95_ms, p99: exec.p99_ms),
            storage_bytes: storageByUser.values.reduce(0, +), users: users)
    }

    func storage(username: String?) async throws -> [String: Int64] {
        if let username {
            let reply = try await VarlinkPeer.call(filesPath, "io.nox.Files.GetUsage", parameters: ["username": username], returning: UsageReply.self)
            return [reply.usage.username: reply.usage.bytes]
        }
        let reply = try await VarlinkPeer.call(filesPath, "io.nox.Files.ListUsage", returning: UsageList.self)
        return Dictionary(reply.users.map { ($0.username, $0.bytes) }, uniquingKeysWith: { first, _ in first })
    }
}
