import CSystemd
import Logging

extension UnitRunner {
    /// Stops every `nox-run-*.service` still loaded: runs that outlived the nox-exec that started
    /// them (a crash, a restart). Their jobs are already recorded as `error`; nobody reads their
    /// output any more, so they must not go on using the user's quota.
    func stopLeftovers() async -> Int {
        do {
            return try await bus.perform { connection in
                let reply = try SystemdBus.callManager(connection, "ListUnitsByPatterns") { message in
                    try BusMessage.appendStrings(message, [])
                    try BusMessage.appendStrings(message, ["nox-run-*.service"])
                }
                defer { sd_bus_message_unref(reply) }
                guard let reply else { return 0 }
                var names: [String] = []
                // a(ssssssouso): name, description, load, active, sub, following, path, job id, job type, job path.
                try BusError.check(sd_bus_message_enter_container(reply, CChar(UInt8(ascii: "a")), "(ssssssouso)"), "enter units")
                while sd_bus_message_enter_container(reply, CChar(UInt8(ascii: "r")), "ssssssouso") > 0 {
                    names.append(try BusMessage.readString(reply))
                    try BusError.check(sd_bus_message_skip(reply, "sssssouso"), "skip unit fields")
                    try BusError.check(sd_bus_message_exit_container(reply), "exit unit")
                }
                for name in names {
                    let stopped = try? SystemdBus.callManager(connection, "StopUnit") { message in
                        try BusMessage.appendString(message, name)
                        try BusMessage.appendString(message, "replace")
                    }
                    sd_bus_message_unref(stopped ?? nil)
                }
                return names.count
            }
        } catch {
            logger.warning("Could not look for leftover runs", metadata: ["error": "\(error)"])
            return 0
        }
    }
}
