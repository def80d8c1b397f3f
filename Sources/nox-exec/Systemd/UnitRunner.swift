import CSystemd
import Foundation
import Glibc
import Logging

/// Runs `RunUnit`s as transient services through `SystemdBus` and reports how each ended.
final class UnitRunner: Sendable {
    let bus: SystemdBus
    let logger: Logger
    /// cgroup v2 (a normal Debian 12 host) or v1/hybrid: which counters the usage report copies.
    let unifiedCgroups: Bool

    init(bus: SystemdBus, logger: Logger, cgroupRoot: String = "/sys/fs/cgroup") {
        self.bus = bus
        self.logger = logger
        unifiedCgroups = FileManager.default.fileExists(atPath: cgroupRoot + "/cgroup.controllers")
    }

    /// How a run's unit ended, from systemd and the cgroup.
    struct Report: Sendable, Equatable {
        enum End: Sendable, Equatable {
            /// The main process exited with this status.
            case exited(Int32)
            /// The main process was killed by this signal.
            case signaled(Int32)
            /// `RuntimeMaxSec=` ran out.
            case timedOut
            /// Stopped by nox-exec (cancellation) before its main process ended.
            case stopped
            /// systemd could not start it (the reason, for the `error` status).
            case failedToStart(String)
        }
        var end: End
        var oomKilled: Bool
        var cpuNanoseconds: Int64?
        var memoryPeakBytes: Int64?
    }

    /// A started run: wait for its report, or stop it.
    final class Handle: Sendable {
        let unit: String
        let path: String
        let watcher: UnitWatcher
        let usageReport: String
        /// The unit has a compile step (`ExecStartPre=`), whose end matters when the program never ran.
        let compiles: Bool
        init(unit: String, path: String, watcher: UnitWatcher, usageReport: String, compiles: Bool) {
            self.unit = unit
            self.path = path
            self.watcher = watcher
            self.usageReport = usageReport
            self.compiles = compiles
        }
    }

    /// The usage-report command for a unit whose report goes to `file`.
    func usageReportCommand(slice: String, unit: String, file: String) -> [String] {
        UsageReport.command(
            report: file, sources: UsageReport.sources(cgroup: UsageReport.cgroupPath(slice: slice, unit: unit), unified: unifiedCgroups))
    }

    /// Starts the unit (its file descriptors are duplicated into the request; close yours after).
    func start(_ unit: RunUnit, usageReport: String) async throws -> Handle {
        let path = RunUnit.objectPath(of: unit.name)
        let watcher = UnitWatcher()
        let properties = unit.properties
        let bus = self.bus
        try await bus.perform { connection in
            bus.watch(path: path, watcher)
            do {
                let reply = try SystemdBus.callManager(connection, "StartTransientUnit") { message in
                    try BusMessage.appendString(message, unit.name)
                    try BusMessage.appendString(message, "fail")
                    try Self.appendProperties(message, properties)
                    try BusMessage.container(message, "a", "(sa(sv))") {}
                }
                sd_bus_message_unref(reply)
            } catch {
                bus.unwatch(path: path)
                throw error
            }
        }
        return Handle(unit: unit.name, path: path, watcher: watcher, usageReport: usageReport, compiles: unit.compile != nil)
    }

    /// Waits until the run is over (its unit inactive: main process ended, leftovers killed, the
    /// usage report written), reads how it ended, and releases the unit so systemd collects it.
    func finish(_ handle: Handle) async -> Report {
        await handle.watcher.wait()
        let report: Report
        do {
            report = try await bus.perform { connection in
                let service = "org.freedesktop.systemd1.Service"
                let result = SystemdBus.stringProperty(connection, path: handle.path, interface: service, "Result") ?? "unknown"
                let code = SystemdBus.property(connection, path: handle.path, interface: service, "ExecMainCode", type: "i", default: Int32(0))
                let status = SystemdBus.property(connection, path: handle.path, interface: service, "ExecMainStatus", type: "i", default: Int32(0))
                let usage = UsageReport.read(handle.usageReport) ?? UsageReport(oomKills: 0)
                let compile = handle.compiles && code == 0 ? SystemdBus.lastCommandStatus(connection, path: handle.path, "ExecStartPre") : nil
                return Self.report(
                    result: result, code: code, status: status, compile: compile, stopped: handle.watcher.stopRequested, usage: usage)
            }
        } catch {
            logger.error("Reading a run's unit failed", metadata: ["nox.unit": .string(handle.unit), "error": "\(error)"])
            report = Report(end: .failedToStart("Nox lost track of the run's unit."), oomKilled: false)
        }
        await release(handle)
        return report
    }

    /// Stops a running unit (cancellation); `finish` then reports `.stopped`.
    func stop(_ handle: Handle) async {
        handle.watcher.stopRequested = true
        do {
            try await bus.perform { connection in
                let reply = try SystemdBus.callManager(connection, "StopUnit") { message in
                    try BusMessage.appendString(message, handle.unit)
                    try BusMessage.appendString(message, "replace")
                }
                sd_bus_message_unref(reply)
            }
        } catch {
            logger.warning("Stopping a run's unit failed", metadata: ["nox.unit": .string(handle.unit), "error": "\(error)"])
        }
    }

    /// Drops our reference (`AddRef=`), so systemd collects the inactive unit.
    private func release(_ handle: Handle) async {
        do {
            try await bus.perform { [bus] connection in
                bus.unwatch(path: handle.path)
                do {
                    let reply = try SystemdBus.callManager(connection, "UnrefUnit") { message in
                        try BusMessage.appendString(message, handle.unit)
                    }
                    sd_bus_message_unref(reply)
                } catch let error as BusError where error.name == "org.freedesktop.systemd1.NoSuchUnit" {
                    return
                }
            }
        } catch {
            logger.warning("Releasing a run's unit failed", metadata: ["nox.unit": .string(handle.unit), "error": "\(error)"])
        }
    }

    /// `code`/`status`: the main process's siginfo code and status; `compile`: the same of the
    /// compile step, read when the program never ran.
    static func report(
        result: String, code: Int32, status: Int32, compile: (code: Int32, status: Int32)? = nil, stopped: Bool, usage: UsageReport
    ) -> Report {
        let oom = usage.oomKills > 0 || result == "oom-kill"
        var report = Report(end: .stopped, oomKilled: oom, cpuNanoseconds: usage.cpuNanoseconds, memoryPeakBytes: usage.memoryPeakBytes)
        // siginfo si_code of the main process: CLD_EXITED = 1, CLD_KILLED = 2, CLD_DUMPED = 3; 0 = it never ran.
        // A compile step that failed or was killed is the run's end (the program never started);
        // one that ran out of time is a timeout like the program's own (`Result=timeout` either way).
        let ended = code != 0 ? (code, status) : compile ?? (0, 0)
        if result == "timeout" {
            report.end = .timedOut
        } else if ended.0 == 1 {
            report.end = .exited(ended.1)
        } else if ended.0 == 2 || ended.0 == 3 {
            report.end = stopped ? .stopped : .signaled(ended.1)
        } else if stopped {
            report.end = .stopped
        } else {
            report.end = .failedToStart("systemd could not start the run (\(result)).")
        }
        return report
    }

    static func appendProperties(_ message: OpaquePointer, _ properties: [(String, BusValue)]) throws {
        try BusMessage.container(message, "a", "(sv)") {
            for (name, value) in properties {
                try BusMessage.container(message, "r", "sv") {
                    try BusMessage.appendString(message, name)
                    try BusMessage.container(message, "v", value.signature) { try value.append(to: message) }
                }
            }
        }
    }
}
