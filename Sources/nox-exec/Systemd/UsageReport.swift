import Foundation

/// What a run used, as the kernel counted it in the run's cgroup: written by the unit's own
/// privileged `ExecStopPost=` (after the main process ended, while the cgroup and its counters
/// still exist — systemd removes an empty cgroup as soon as the service leaves its running
/// states, so nox-exec could not read it afterwards), read by nox-exec once the unit stopped.
/// The report directory (`/run/nox-exec`, root, 0711) is writable in the run's namespace only so
/// that this root-owned step can write there: the run's own user can neither list it nor create
/// or read a report in it (reports are 0660 root:root).
struct UsageReport: Sendable, Equatable {
    var memoryPeakBytes: Int64?
    var oomKills: Int
    var cpuNanoseconds: Int64?

    /// The unit's cgroup: `a-b-c.slice` nests as `/a.slice/a-b.slice/a-b-c.slice`.
    static func cgroupPath(slice: String, unit: String) -> String {
        let base = slice.hasSuffix(".slice") ? String(slice.dropLast(6)) : slice
        var path = ""
        var prefix = ""
        for part in base.split(separator: "-") {
            prefix = prefix.isEmpty ? String(part) : prefix + "-" + part
            path += "/" + prefix + ".slice"
        }
        return path + "/" + unit
    }

    /// The files to copy (v2: `memory.peak`, `memory.events`, `cpu.stat`; v1: `memory.max_usage_in_bytes`,
    /// `memory.oom_control`, and `cpu.stat` of the unified hierarchy or `cpuacct.usage`).
    static func sources(cgroup: String, unified: Bool, root: String = "/sys/fs/cgroup") -> [String] {
        if unified {
            return [root + cgroup + "/memory.peak", root + cgroup + "/memory.events", root + cgroup + "/cpu.stat"]
        }
        // v1: CPU time from the unified hierarchy of a hybrid layout (Debian's default before v2:
        // its core `cpu.stat` counts every cgroup, whatever the controllers), else from cpuacct,
        // usually co-mounted with cpu (`cpu,cpuacct`), on some hosts alone — where systemd does
        // not use it for units, so only the unified hierarchy has the run's CPU time.
        let cpu: String
        if FileManager.default.fileExists(atPath: root + "/unified/cpu.stat") {
            cpu = root + "/unified" + cgroup + "/cpu.stat"
        } else if let cpuacct = ["cpu,cpuacct", "cpuacct", "cpu"].first(where: {
            FileManager.default.fileExists(atPath: root + "/" + $0 + "/cpuacct.usage")
        }) {
            cpu = root + "/" + cpuacct + cgroup + "/cpuacct.usage"
        } else {
            cpu = "/dev/null"
        }
        return [root + "/memory" + cgroup + "/memory.max_usage_in_bytes", root + "/memory" + cgroup + "/memory.oom_control", cpu]
    }

    static let separator = "--nox--"

    /// A fixed script; the paths come as arguments (never spliced into the script text).
    static func command(report: String, sources: [String]) -> [String] {
        let script = "exec > \"$1\" 2>/dev/null; shift; for f; do cat \"$f\"; echo \(separator); done"
        return ["/bin/sh", "-c", script, "nox-usage", report] + sources
    }

    static func parse(_ text: String) -> UsageReport {
        let parts = text.components(separatedBy: separator + "\n").map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }
        func part(_ index: Int) -> String { index < parts.count ? parts[index] : "" }
        func keyed(_ text: String, _ key: String) -> Int64? {
            for line in text.split(separator: "\n") {
                let fields = line.split(separator: " ")
                if fields.count == 2, fields[0] == key { return Int64(fields[1]) }
            }
            return nil
        }
        let memory = Int64(part(0))
        let oom = Int(keyed(part(1), "oom_kill") ?? 0)
        // `cpu.stat` (v2, or the unified hierarchy of a hybrid v1 layout) or v1's `cpuacct.usage`.
        let cpu = keyed(part(2), "usage_usec").map { $0 * 1000 } ?? Int64(part(2))
        return UsageReport(memoryPeakBytes: memory, oomKills: oom, cpuNanoseconds: cpu)
    }

    static func read(_ file: String) -> UsageReport? {
        guard let data = FileManager.default.contents(atPath: file) else { return nil }
        return parse(String(decoding: data, as: UTF8.self))
    }
}
