import Foundation
import GRDB
import NoxRuntime

/// Run statistics for nox-metrics's `GET /api/stats` (over `io.nox.Exec.GetStats`).
public struct RunStats: Codable, Sendable, Equatable {
    public var total: Int
    public var byStatus: [String: Int]
    public var byLanguage: [String: Int]
    public var byUser: [String: Int]
    /// Nearest-rank percentiles of the finished runs' `duration_ms`; nil without any.
    public var p50: Int?
    public var p95: Int?
    public var p99: Int?
}

extension JobStore {
    /// Runs created at or after `since` (all for nil), of `username` (everyone's for nil).
    public func stats(since: Date?, username: String?) throws -> RunStats {
        let sinceText = since.map(RFC3339.string)
        let filter = "(? IS NULL OR created_at >= ?) AND (? IS NULL OR username = ?)"
        let arguments: StatementArguments = [sinceText, sinceText, username, username]
        return try pool.read { db in
            func counts(_ column: String) throws -> [String: Int] {
                var result: [String: Int] = [:]
                for row in try Row.fetchAll(db, sql: "SELECT \(column) AS k, count(*) AS n FROM jobs WHERE \(filter) GROUP BY \(column)", arguments: arguments) {
                    result[row["k"]] = row["n"]
                }
                return result
            }
            let byStatus = try counts("status")
            let durations = try Int.fetchAll(
                db, sql: "SELECT duration_ms FROM jobs WHERE \(filter) AND duration_ms IS NOT NULL ORDER BY duration_ms", arguments: arguments)
            func percentile(_ q: Double) -> Int? {
                guard !durations.isEmpty else { return nil }
                let rank = Int((q * Double(durations.count)).rounded(.up))
                return durations[min(max(rank, 1), durations.count) - 1]
            }
            return RunStats(
                total: byStatus.values.reduce(0, +), byStatus: byStatus, byLanguage: try counts("language"), byUser: try counts("username"),
                p50: percentile(0.50), p95: percentile(0.95), p99: percentile(0.99))
        }
    }
}
