/// `io.nox.Exec.GetStats` on the wire, shared by nox-exec (which answers) and nox-metrics
/// (which asks), as `Principal` is for `io.nox.Auth`.
public enum RunStatsWire {
    public struct Parameters: Codable, Sendable {
        /// RFC 3339; all of history when nil.
        public var since: String?
        /// One user's runs; everyone's when nil.
        public var username: String?

        public init(since: String?, username: String?) {
            self.since = since
            self.username = username
        }
    }

    public struct Count: Codable, Sendable {
        public var name: String
        public var runs: Int

        public init(name: String, runs: Int) {
            self.name = name
            self.runs = runs
        }
    }

    public struct Reply: Codable, Sendable {
        public var total: Int
        public var by_status: [Count]
        public var by_language: [Count]
        public var by_user: [Count]
        /// Nearest-rank percentiles of finished runs' `duration_ms`; nil without any.
        public var p50_ms: Int?
        public var p95_ms: Int?
        public var p99_ms: Int?

        public init(total: Int, by_status: [Count], by_language: [Count], by_user: [Count], p50_ms: Int?, p95_ms: Int?, p99_ms: Int?) {
            self.total = total
            self.by_status = by_status
            self.by_language = by_language
            self.by_user = by_user
            self.p50_ms = p50_ms
            self.p95_ms = p95_ms
            self.p99_ms = p99_ms
        }

        /// `[name: runs]` as the wire's sorted list.
        public static func counts(_ table: [String: Int]) -> [Count] {
            table.sorted { $0.key < $1.key }.map { Count(name: $0.key, runs: $0.value) }
        }
    }
}
