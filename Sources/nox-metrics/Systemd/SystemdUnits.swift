import CSystemd
import Dispatch
import Foundation
import Glibc
import Logging

/// A small read-only view of systemd's units over the system bus (sd-bus from libsystemd):
/// `ActiveState`/`SubState` and the units' resource accounting (`MemoryCurrent`,
/// `CPUUsageNSec`, `TasksCurrent`). Where systemd reports no value (accounting off, or a cgroup
/// v1 controller not realized for the unit) the value is read from the unit's cgroup instead
/// (``CgroupUsage``), so it works on cgroup v1 and v2 alike.
///
/// sd-bus is not thread-safe: every call runs on one serial queue, off Swift's cooperative pool.
public final class SystemdUnits: UnitStateSource, @unchecked Sendable {
    private let queue = DispatchQueue(label: "nox-metrics.sd-bus")
    /// Touched on `queue` only.
    private var bus: OpaquePointer?
    private let address: String?
    private let logger: Logger

    static let destination = "org.freedesktop.systemd1"

    /// - Parameters:
    ///   - address: a D-Bus address (tests); nil for the system bus.
    public init(address: String? = nil, logger: Logger) {
        self.address = address
        self.logger = logger
    }

    deinit {
        if let bus { sd_bus_flush_close_unref(bus) }
    }

    public func states(of units: [String], withUsage: Bool) async -> [UnitState] {
        await onQueue { [self] in units.map { self.readState($0, withUsage: withUsage) } }
    }

    public func unitNames(matching patterns: [String]) async -> [String] {
        await onQueue { [self] in self.listUnits(patterns) }
    }

    private func onQueue<T: Sendable>(_ body: @escaping @Sendable () -> T) async -> T {
        await withCheckedContinuation { continuation in
            queue.async { continuation.resume(returning: body()) }
        }
    }

    // MARK: on the queue

    /// The connection, opened (again) when needed.
    private func connection() -> OpaquePointer? {
        if let bus, sd_bus_is_open(bus) > 0 { return bus }
        if let bus { sd_bus_flush_close_unref(bus) }
        bus = nil
        var opened: OpaquePointer?
        let result: Int32
        if let address {
            result = Self.openAddress(address, &opened)
        } else {
            result = sd_bus_open_system(&opened)
        }
        guard result >= 0 else {
            logger.warning("Cannot connect to the system bus", metadata: ["error": "\(String(cString: strerror(-result)))"])
            return nil
        }
        bus = opened
        return opened
    }

    private static func openAddress(_ address: String, _ bus: inout OpaquePointer?) -> Int32 {
        var result = sd_bus_new(&bus)
        if result >= 0 { result = sd_bus_set_address(bus, address) }
        if result >= 0 { result = sd_bus_set_bus_client(bus, 1) }
        if result >= 0 { result = sd_bus_start(bus) }
        if result < 0, let opened = bus {
            sd_bus_unref(opened)
            bus = nil
        }
        return result
    }

    private func readState(_ unit: String, withUsage: Bool) -> UnitState {
        guard let bus = connection() else { return .unknown(unit) }
        var encoded: UnsafeMutablePointer<CChar>?
        guard sd_bus_path_encode("/org/freedesktop/systemd1/unit", unit, &encoded) >= 0, let encoded else { return .unknown(unit) }
        let path = String(cString: encoded)
        free(encoded)
        guard let activeState = string(bus, path, "org.freedesktop.systemd1.Unit", "ActiveState") else {
            // The connection may have broken: next time, reconnect.
            if sd_bus_is_open(bus) <= 0 { self.bus = nil; sd_bus_flush_close_unref(bus) }
            return .unknown(unit)
        }
        var state = UnitState(
            name: unit, activeState: activeState,
            subState: string(bus, path, "org.freedesktop.systemd1.Unit", "SubState") ?? "",
            loadState: string(bus, path, "org.freedesktop.systemd1.Unit", "LoadState") ?? "")
        guard withUsage, activeState != "inactive", let kind = Self.interface(for: unit) else { return state }
        state.memoryBytes = number(bus, path, kind, "MemoryCurrent")
        state.cpuNanoseconds = number(bus, path, kind, "CPUUsageNSec")
        state.tasks = number(bus, path, kind, "TasksCurrent")
        if state.memoryBytes == nil || state.cpuNanoseconds == nil || state.tasks == nil,
            let group = string(bus, path, kind, "ControlGroup"), !group.isEmpty
        {
            let fallback = CgroupUsage.read(controlGroup: group)
            state.memoryBytes = state.memoryBytes ?? fallback.memoryBytes
            state.cpuNanoseconds = state.cpuNanoseconds ?? fallback.cpuNanoseconds
            state.tasks = state.tasks ?? fallback.tasks
        }
        return state
    }

    /// The D-Bus interface carrying a unit's cgroup properties.
    static func interface(for unit: String) -> String? {
        if unit.hasSuffix(".service") { return "org.freedesktop.systemd1.Service" }
        if unit.hasSuffix(".slice") { return "org.freedesktop.systemd1.Slice" }
        if unit.hasSuffix(".scope") { return "org.freedesktop.systemd1.Scope" }
        if unit.hasSuffix(".socket") { return "org.freedesktop.systemd1.Socket" }
        return nil
    }

    private func string(_ bus: OpaquePointer, _ path: String, _ interface: String, _ name: String) -> String? {
        var value: UnsafeMutablePointer<CChar>?
        var error = sd_bus_error()
        defer { sd_bus_error_free(&error) }
        guard sd_bus_get_property_string(bus, Self.destination, path, interface, name, &error, &value) >= 0, let value else { return nil }
        defer { free(value) }
        return String(cString: value)
    }

    /// A `t` property; systemd's "no value" (UINT64_MAX) is nil.
    private func number(_ bus: OpaquePointer, _ path: String, _ interface: String, _ name: String) -> UInt64? {
        var value = UInt64.max
        var error = sd_bus_error()
        defer { sd_bus_error_free(&error) }
        let result = sd_bus_get_property_trivial(bus, Self.destination, path, interface, name, &error, CChar(UInt8(ascii: "t")), &value)
        guard result >= 0, value != UInt64.max else { return nil }
        return value
    }

    /// `ListUnitsByPatterns([], patterns)`: the names of the loaded units that match.
    private func listUnits(_ patterns: [String]) -> [String] {
        guard let bus = connection() else { return [] }
        var message: OpaquePointer?
        guard
            sd_bus_message_new_method_call(
                bus, &message, Self.destination, "/org/freedesktop/systemd1", "org.freedesktop.systemd1.Manager", "ListUnitsByPatterns") >= 0,
            let message
        else { return [] }
        defer { sd_bus_message_unref(message) }
        guard appendStrings(message, []), appendStrings(message, patterns) else { return [] }
        var error = sd_bus_error()
        defer { sd_bus_error_free(&error) }
        var reply: OpaquePointer?
        guard sd_bus_call(bus, message, 10_000_000, &error, &reply) >= 0, let reply else {
            logger.warning("ListUnitsByPatterns failed", metadata: ["error": "\(error.message.map { String(cString: $0) } ?? "?")"])
            return []
        }
        defer { sd_bus_message_unref(reply) }
        var names: [String] = []
        guard sd_bus_message_enter_container(reply, CChar(UInt8(ascii: "a")), "(ssssssouso)") > 0 else { return [] }
        while sd_bus_message_enter_container(reply, CChar(UInt8(ascii: "r")), "ssssssouso") > 0 {
            var pointer: UnsafePointer<CChar>?
            if sd_bus_message_read_basic(reply, CChar(UInt8(ascii: "s")), &pointer) > 0, let pointer {
                names.append(String(cString: pointer))
            }
            _ = sd_bus_message_skip(reply, "sssssouso")
            sd_bus_message_exit_container(reply)
        }
        sd_bus_message_exit_container(reply)
        return names
    }

    private func appendStrings(_ message: OpaquePointer, _ values: [String]) -> Bool {
        guard sd_bus_message_open_container(message, CChar(UInt8(ascii: "a")), "s") >= 0 else { return false }
        for value in values {
            guard value.withCString({ sd_bus_message_append_basic(message, CChar(UInt8(ascii: "s")), $0) }) >= 0 else { return false }
        }
        return sd_bus_message_close_container(message) >= 0
    }
}
