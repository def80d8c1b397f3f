/// One sample of the host and the suite: the body of `GET /api/system/metrics` and of each
/// `metrics` event of `GET /api/metrics/stream`.
public struct SystemSnapshot: Codable, Sendable, Equatable {
    public var time: String
    public var cpu: CPU
    public var memory: Memory
    public var disk: Disk
    /// 1, 5 and 15 minute load averages.
    public var load: [Double]
    public var uptime_s: Int64
    /// By short daemon name (`auth`, `files`, `exec`, `metrics`).
    public var services: [String: Service]
    /// By Nox username: that user's `nox-user-NAME.slice`.
    public var slices: [String: Slice]

    public struct CPU: Codable, Sendable, Equatable {
        public var cores: Int
        /// Busy share of all cores since the previous sample, 0–100.
        public var usage_percent: Double
        public var user_percent: Double
        public var system_percent: Double
        public var iowait_percent: Double
    }

    public struct Memory: Codable, Sendable, Equatable {
        public var total_bytes: Int64
        public var available_bytes: Int64
        public var used_bytes: Int64
        public var used_percent: Double
        public var swap_total_bytes: Int64
        public var swap_used_bytes: Int64
    }

    public struct Disk: Codable, Sendable, Equatable {
        /// The filesystem of Nox's state (`/var/lib/nox`).
        public var path: String
        public var total_bytes: Int64
        public var used_bytes: Int64
        public var free_bytes: Int64
        public var used_percent: Double
    }

    public struct Service: Codable, Sendable, Equatable {
        public var unit: String
        /// API.md's words: `ok`, `idle`, `degraded`, `failed`.
        public var status: String
        public var active_state: String
        public var sub_state: String
        public var memory_bytes: Int64?
        public var cpu_ms: Int64?
        public var tasks: Int64?

        enum CodingKeys: String, CodingKey { case unit, status, active_state, sub_state, memory_bytes, cpu_ms, tasks }

        /// Usage that systemd does not report is `null`, never left out.
        public func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(unit, forKey: .unit)
            try container.encode(status, forKey: .status)
            try container.encode(active_state, forKey: .active_state)
            try container.encode(sub_state, forKey: .sub_state)
            try container.encode(memory_bytes, forKey: .memory_bytes)
            try container.encode(cpu_ms, forKey: .cpu_ms)
            try container.encode(tasks, forKey: .tasks)
        }
    }

    public struct Slice: Codable, Sendable, Equatable {
        public var unit: String
        public var active_state: String
        public var memory_bytes: Int64?
        public var cpu_ms: Int64?
        public var tasks: Int64?

        enum CodingKeys: String, CodingKey { case unit, active_state, memory_bytes, cpu_ms, tasks }

        public func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(unit, forKey: .unit)
            try container.encode(active_state, forKey: .active_state)
            try container.encode(memory_bytes, forKey: .memory_bytes)
            try container.encode(cpu_ms, forKey: .cpu_ms)
            try container.encode(tasks, forKey: .tasks)
        }
    }
}
