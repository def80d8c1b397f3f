import Foundation
import Glibc

/// The host's figures from /proc and statvfs(2).
public struct HostReader: Sendable {
    /// Where /proc is (tests use a copy).
    public var procRoot = "/proc"

    public init(procRoot: String = "/proc") { self.procRoot = procRoot }

    /// Jiffies of the `cpu` line of /proc/stat.
    public struct CPUTimes: Sendable, Equatable {
        public var user: UInt64 = 0
        public var system: UInt64 = 0
        public var idle: UInt64 = 0
        public var iowait: UInt64 = 0
        public var total: UInt64 = 0

        public init(user: UInt64 = 0, system: UInt64 = 0, idle: UInt64 = 0, iowait: UInt64 = 0, total: UInt64 = 0) {
            self.user = user
            self.system = system
            self.idle = idle
            self.iowait = iowait
            self.total = total
        }
    }

    public func cpuTimes() -> CPUTimes? {
        guard let text = SystemFiles.read(procRoot + "/stat") else { return nil }
        return Self.parseCPU(text)
    }

    static func parseCPU(_ text: String) -> CPUTimes? {
        guard let line = text.split(separator: "\n").first(where: { $0.hasPrefix("cpu ") }) else { return nil }
        let values = line.split(separator: " ").dropFirst().compactMap { UInt64($0) }
        guard values.count >= 4 else { return nil }
        // user nice system idle iowait irq softirq steal (guest time is already in user).
        let field = { (index: Int) in index < values.count ? values[index] : 0 }
        return CPUTimes(
            user: field(0) + field(1), system: field(2) + field(5) + field(6), idle: field(3), iowait: field(4),
            total: (0..<min(values.count, 8)).reduce(0) { $0 + values[$1] })
    }

    /// Busy percentages between two readings.
    public static func cpu(from old: CPUTimes?, to new: CPUTimes?, cores: Int) -> SystemSnapshot.CPU {
        guard let old, let new, new.total > old.total else {
            return .init(cores: cores, usage_percent: 0, user_percent: 0, system_percent: 0, iowait_percent: 0)
        }
        let total = Double(new.total - old.total)
        func share(_ a: UInt64, _ b: UInt64) -> Double { a >= b ? rounded(Double(a - b) / total * 100) : 0 }
        let idle = share(new.idle, old.idle) + share(new.iowait, old.iowait)
        return .init(
            cores: cores, usage_percent: rounded(max(0, 100 - idle)), user_percent: share(new.user, old.user),
            system_percent: share(new.system, old.system), iowait_percent: share(new.iowait, old.iowait))
    }

    public func memory() -> SystemSnapshot.Memory {
        let info = SystemFiles.read(procRoot + "/meminfo").map(Self.parseMeminfo) ?? [:]
        let total = info["MemTotal"] ?? 0
        let available = info["MemAvailable"] ?? (info["MemFree"] ?? 0)
        let used = max(0, total - available)
        let swapTotal = info["SwapTotal"] ?? 0
        return .init(
            total_bytes: total, available_bytes: available, used_bytes: used,
            used_percent: total > 0 ? Self.rounded(Double(used) / Double(total) * 100) : 0, swap_total_bytes: swapTotal,
            swap_used_bytes: max(0, swapTotal - (info["SwapFree"] ?? 0)))
    }

    /// `Key:   123 kB` lines, in bytes.
    static func parseMeminfo(_ text: String) -> [String: Int64] {
        var values: [String: Int64] = [:]
        for line in text.split(separator: "\n") {
            guard let colon = line.firstIndex(of: ":") else { continue }
            let fields = line[line.index(after: colon)...].split(separator: " ")
            guard let number = fields.first.flatMap({ Int64($0) }) else { continue }
            values[String(line[..<colon])] = fields.count > 1 && fields[1] == "kB" ? number * 1024 : number
        }
        return values
    }

    public func disk(path: String) -> SystemSnapshot.Disk {
        var stats = statvfs()
        guard statvfs(path, &stats) == 0 else {
            return .init(path: path, total_bytes: 0, used_bytes: 0, free_bytes: 0, used_percent: 0)
        }
        let block = Int64(stats.f_frsize)
        let total = Int64(stats.f_blocks) * block
        let free = Int64(stats.f_bavail) * block
        let used = total - Int64(stats.f_bfree) * block
        // As df: used / (used + available to unprivileged users).
        let percent = used + free > 0 ? Self.rounded(Double(used) / Double(used + free) * 100) : 0
        return .init(path: path, total_bytes: total, used_bytes: used, free_bytes: free, used_percent: percent)
    }

    public func load() -> [Double] {
        guard let text = SystemFiles.read(procRoot + "/loadavg") else { return [0, 0, 0] }
        let values = text.split(separator: " ").prefix(3).compactMap { Double($0) }
        return values.count == 3 ? values : [0, 0, 0]
    }

    public func uptimeSeconds() -> Int64 {
        guard let text = SystemFiles.read(procRoot + "/uptime"), let first = text.split(separator: " ").first, let value = Double(first) else {
            return 0
        }
        return Int64(value)
    }

    public static func cores() -> Int { max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))) }

    static func rounded(_ value: Double) -> Double { (value * 100).rounded() / 100 }
}
