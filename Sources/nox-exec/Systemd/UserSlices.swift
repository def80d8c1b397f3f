import CSystemd
import Logging
import NIOConcurrencyHelpers
import NoxRuntime

/// `nox-user-NAME.slice` (under `nox-user.slice`, under `nox.slice`): one per Nox user, carrying
/// that user's quotas so the kernel enforces them across all of the user's concurrent runs.
/// Created on a user's first run and updated when the quotas change (the next run sees them).
final class UserSlices: Sendable {
    let bus: SystemdBus
    let logger: Logger
    /// What each slice was last given, so an unchanged quota costs no D-Bus call.
    private let applied = NIOLockedValueBox<[String: Limits]>([:])

    struct Limits: Sendable, Equatable {
        var memoryMaxBytes: UInt64
        /// CPU time per second of wall time, µs (100 % = one core = 1 000 000).
        var cpuQuotaPerSecond: UInt64
        var tasksMax: UInt64

        init(_ quotas: Quotas) {
            memoryMaxBytes = UInt64(quotas.memory_mb) * 1_048_576
            cpuQuotaPerSecond = UInt64(quotas.cpu_percent) * 10_000
            tasksMax = UInt64(quotas.tasks_max)
        }
    }

    init(bus: SystemdBus, logger: Logger) {
        self.bus = bus
        self.logger = logger
    }

    static func name(for username: String) -> String { "nox-user-\(username).slice" }

    /// Makes sure the user's slice exists with these limits; returns its name.
    func ensure(username: String, quotas: Quotas) async throws -> String {
        let name = Self.name(for: username)
        let limits = Limits(quotas)
        if applied.withLockedValue({ $0[name] }) == limits { return name }
        let properties: [(String, BusValue)] = [
            ("Description", .string("Nox runs of \(username)")),
            ("MemoryAccounting", .bool(true)),
            ("MemoryMax", .uint64(limits.memoryMaxBytes)),
            ("MemorySwapMax", .uint64(0)),
            ("CPUAccounting", .bool(true)),
            ("CPUQuotaPerSecUSec", .uint64(limits.cpuQuotaPerSecond)),
            ("TasksAccounting", .bool(true)),
            ("TasksMax", .uint64(limits.tasksMax)),
        ]
        try await bus.perform { connection in
            do {
                let reply = try SystemdBus.callManager(connection, "StartTransientUnit") { message in
                    try BusMessage.appendString(message, name)
                    try BusMessage.appendString(message, "fail")
                    try UnitRunner.appendProperties(message, properties)
                    try BusMessage.container(message, "a", "(sa(sv))") {}
                }
                sd_bus_message_unref(reply)
            } catch let error as BusError where error.name == "org.freedesktop.systemd1.UnitExists" {
                // Made by an earlier run (or an earlier nox-exec): change it in place, for now only.
                let reply = try SystemdBus.callManager(connection, "SetUnitProperties") { message in
                    try BusMessage.appendString(message, name)
                    try BusMessage.appendInt(message, "b", 1)
                    try UnitRunner.appendProperties(message, properties)
                }
                sd_bus_message_unref(reply)
            }
        }
        applied.withLockedValue { $0[name] = limits }
        logger.info("User slice ready", metadata: ["nox.slice": .string(name), "nox.memory_max": .stringConvertible(limits.memoryMaxBytes)])
        return name
    }
}
