/// One point of `GET /api/system/metrics/history`: the host's figures at `time` (for 1-minute
/// points, the minute's averages).
public struct HistoryPoint: Codable, Sendable, Equatable {
    /// Seconds since the epoch (UTC).
    public var t: Int64
    public var cpu_percent: Double
    public var memory_used_bytes: Int64
    public var memory_total_bytes: Int64
    public var disk_used_bytes: Int64
    public var disk_total_bytes: Int64
    public var load1: Double
    public var load5: Double
    public var load15: Double

    public init(
        t: Int64, cpu_percent: Double, memory_used_bytes: Int64, memory_total_bytes: Int64, disk_used_bytes: Int64, disk_total_bytes: Int64,
        load1: Double, load5: Double, load15: Double
    ) {
        self.t = t
        self.cpu_percent = cpu_percent
        self.memory_used_bytes = memory_used_bytes
        self.memory_total_bytes = memory_total_bytes
        self.disk_used_bytes = disk_used_bytes
        self.disk_total_bytes = disk_total_bytes
        self.load1 = load1
        self.load5 = load5
        self.load15 = load15
    }

    public init(snapshot: SystemSnapshot, t: Int64) {
        let load = snapshot.load + [0, 0, 0]
        self.init(
            t: t, cpu_percent: snapshot.cpu.usage_percent, memory_used_bytes: snapshot.memory.used_bytes,
            memory_total_bytes: snapshot.memory.total_bytes, disk_used_bytes: snapshot.disk.used_bytes,
            disk_total_bytes: snapshot.disk.total_bytes, load1: load[0], load5: load[1], load15: load[2])
    }
}
