import Foundation
import Glibc

/// A unit's usage read from its cgroup, for when systemd reports none: on cgroup v2 from the
/// unified hierarchy (`memory.current`, `cpu.stat`, `pids.current`), on v1 from the controllers'
/// own hierarchies (`memory.usage_in_bytes`, `pids.current`) and CPU time from the hybrid
/// layout's unified hierarchy (`cpu.stat`) or `cpuacct.usage`.
public enum CgroupUsage {
    public struct Usage: Sendable, Equatable {
        public var memoryBytes: UInt64?
        public var cpuNanoseconds: UInt64?
        public var tasks: UInt64?

        public init(memoryBytes: UInt64? = nil, cpuNanoseconds: UInt64? = nil, tasks: UInt64? = nil) {
            self.memoryBytes = memoryBytes
            self.cpuNanoseconds = cpuNanoseconds
            self.tasks = tasks
        }
    }

    /// - Parameters:
    ///   - controlGroup: the unit's `ControlGroup` property, e.g. `/nox.slice/nox-files.service`.
    ///   - root: the cgroup mount point (tests point it elsewhere).
    public static func read(controlGroup: String, root: String = "/sys/fs/cgroup") -> Usage {
        // `..` would leave the hierarchy; systemd never names a group so.
        guard !controlGroup.split(separator: "/").contains("..") else { return Usage() }
        if SystemFiles.read(root + "/cgroup.controllers") != nil {
            // v2 (unified).
            let base = root + controlGroup
            return Usage(
                memoryBytes: SystemFiles.number(base + "/memory.current"), cpuNanoseconds: unifiedCPU(base),
                tasks: SystemFiles.number(base + "/pids.current"))
        }
        // v1: CPU time from the unified hierarchy of a hybrid layout (Debian's default before
        // v2), whose cpu.stat is there without any controller; else cpuacct.
        return Usage(
            memoryBytes: SystemFiles.number(root + "/memory" + controlGroup + "/memory.usage_in_bytes"),
            cpuNanoseconds: unifiedCPU(root + "/unified" + controlGroup)
                ?? SystemFiles.number(root + "/cpuacct" + controlGroup + "/cpuacct.usage")
                ?? SystemFiles.number(root + "/cpu,cpuacct" + controlGroup + "/cpuacct.usage"),
            tasks: SystemFiles.number(root + "/pids" + controlGroup + "/pids.current"))
    }

    /// `usage_usec` of a v2 group's cpu.stat, in nanoseconds.
    static func unifiedCPU(_ directory: String) -> UInt64? {
        SystemFiles.read(directory + "/cpu.stat").flatMap { stat in
            stat.split(separator: "\n").first { $0.hasPrefix("usage_usec ") }.flatMap { UInt64($0.dropFirst(11)) }.map { $0 * 1000 }
        }
    }
}

/// Small files of /proc and /sys. They report a size of 0 (cgroup v1 files in particular), so
/// they are read with read(2) until end of file, never by their size.
public enum SystemFiles {
    public static func read(_ path: String, limit: Int = 1 << 20) -> String? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 8192)
        while bytes.count < limit {
            let count = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                return nil
            }
            if count == 0 { break }
            bytes.append(contentsOf: chunk[0..<count])
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    public static func number(_ path: String) -> UInt64? {
        read(path).flatMap { UInt64($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
    }
}
