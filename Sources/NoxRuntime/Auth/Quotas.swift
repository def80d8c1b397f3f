/// A user's resource quotas (API.md "Quotas"). Every field has a server default.
public struct Quotas: Codable, Sendable, Equatable {
    public var cpu_percent: Int
    public var memory_mb: Int
    public var tasks_max: Int
    public var max_concurrent: Int
    public var exec_timeout_s: Int
    public var disk_mb: Int
    public var requests_per_minute: Int

    public init(
        cpu_percent: Int = 100, memory_mb: Int = 512, tasks_max: Int = 64, max_concurrent: Int = 4,
        exec_timeout_s: Int = 30, disk_mb: Int = 1024, requests_per_minute: Int = 600
    ) {
        self.cpu_percent = cpu_percent
        self.memory_mb = memory_mb
        self.tasks_max = tasks_max
        self.max_concurrent = max_concurrent
        self.exec_timeout_s = exec_timeout_s
        self.disk_mb = disk_mb
        self.requests_per_minute = requests_per_minute
    }

    /// The allowed range of each quota, by field name.
    public static let ranges: [String: ClosedRange<Int>] = [
        "cpu_percent": 1...100_000,
        "memory_mb": 16...4_194_304,
        "tasks_max": 1...1_000_000,
        "max_concurrent": 1...10_000,
        "exec_timeout_s": 1...86_400,
        "disk_mb": 1...1_073_741_824,
        "requests_per_minute": 1...1_000_000,
    ]

    public static let fieldNames = ranges.keys.sorted()

    /// Returns a copy with the given overrides applied (names as in `fieldNames`).
    public func applying(_ overrides: [String: Int]) -> Quotas {
        var result = self
        for (name, value) in overrides {
            switch name {
            case "cpu_percent": result.cpu_percent = value
            case "memory_mb": result.memory_mb = value
            case "tasks_max": result.tasks_max = value
            case "max_concurrent": result.max_concurrent = value
            case "exec_timeout_s": result.exec_timeout_s = value
            case "disk_mb": result.disk_mb = value
            case "requests_per_minute": result.requests_per_minute = value
            default: break
            }
        }
        return result
    }
}
