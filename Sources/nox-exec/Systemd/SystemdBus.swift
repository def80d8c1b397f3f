import CDispatch  // owns `timespec` in this module's view (MemberImportVisibility)
import CSystemd
import Foundation
import Glibc
import Logging

/// systemd's manager over the system bus, through sd-bus from libsystemd, on a thread of its own.
///
/// sd-bus is not thread-safe, so one thread owns the connection: it runs the event loop
/// (`sd_bus_process` + `poll`) and every call, handed to it through `perform` and woken by an
/// eventfd. Unit state comes from systemd's `PropertiesChanged` signals (one match on the whole
/// unit namespace, installed once), the way `systemd-run --wait` follows a unit — no polling.
final class SystemdBus: @unchecked Sendable {
    private var bus: OpaquePointer?
    /// A pipe that wakes the bus thread's `poll` when work is queued (eventfd is not in Swift's Glibc).
    private let wakeRead: Int32
    private let wakeWrite: Int32
    private let lock = NSLock()
    private var queue: [() -> Void] = []
    /// Object path → what waits on that unit. Bus thread only.
    private var watchers: [String: UnitWatcher] = [:]
    private let logger: Logger
    private var running = true

    static let destination = "org.freedesktop.systemd1"
    static let managerPath = "/org/freedesktop/systemd1"
    static let managerInterface = "org.freedesktop.systemd1.Manager"

    /// Connects to the system bus (or `address`, for tests) and starts the bus thread.
    init(address: String? = nil, logger: Logger) throws {
        self.logger = logger
        var connection: OpaquePointer?
        if let address {
            try BusError.check(sd_bus_new(&connection), "sd_bus_new")
            try BusError.check(sd_bus_set_address(connection, address), "sd_bus_set_address")
            try BusError.check(sd_bus_set_bus_client(connection, 1), "sd_bus_set_bus_client")
            try BusError.check(sd_bus_start(connection), "sd_bus_start")
        } else {
            try BusError.check(sd_bus_open_system(&connection), "sd_bus_open_system")
        }
        bus = connection
        var ends: [Int32] = [0, 0]
        try BusError.check(pipe(&ends) == 0 ? 0 : -errno, "pipe")
        for fd in ends {
            _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
            _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
        }
        (wakeRead, wakeWrite) = (ends[0], ends[1])
        let rule = "type='signal',sender='org.freedesktop.systemd1',interface='org.freedesktop.DBus.Properties',"
            + "member='PropertiesChanged',path_namespace='/org/freedesktop/systemd1/unit'"
        try BusError.check(
            sd_bus_add_match(connection, nil, rule, { message, userdata, _ in
                guard let message, let userdata else { return 0 }
                Unmanaged<SystemdBus>.fromOpaque(userdata).takeUnretainedValue().propertiesChanged(message)
                return 0
            }, Unmanaged.passUnretained(self).toOpaque()),
            "AddMatch PropertiesChanged"
        )
        // Ask systemd for unit signals (it sends them only while someone is subscribed).
        _ = try Self.callManager(connection!, "Subscribe") { _ in }
        let thread = Thread { [self] in self.loop() }
        thread.name = "nox-exec sd-bus"
        thread.start()
    }

    /// Runs `body` on the bus thread with the connection.
    func perform<T: Sendable>(_ body: @escaping @Sendable (OpaquePointer) throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            enqueue { [self] in
                guard let bus else { return continuation.resume(throwing: BusError(message: "bus closed", errno: ECONNRESET)) }
                continuation.resume(with: Result { try body(bus) })
            }
        }
    }

    private func enqueue(_ work: @escaping () -> Void) {
        lock.withLock { queue.append(work) }
        var one: UInt8 = 1
        _ = write(wakeWrite, &one, 1)
    }

    // MARK: the bus thread

    private func loop() {
        while running, let bus {
            for work in lock.withLock({ () -> [() -> Void] in defer { queue.removeAll() }; return queue }) { work() }
            while true {
                let result = sd_bus_process(bus, nil)
                if result < 0 {
                    logger.error("The system bus connection failed", metadata: ["error": "\(String(cString: strerror(-result)))"])
                    failAllWatchers()
                    running = false
                    return
                }
                if result == 0 { break }
            }
            var timeout: UInt64 = 0
            var milliseconds: Int32 = -1
            if sd_bus_get_timeout(bus, &timeout) >= 0, timeout != UInt64.max {
                var now = timespec()
                clock_gettime(CLOCK_MONOTONIC, &now)
                let nowMicros = UInt64(now.tv_sec) * 1_000_000 + UInt64(now.tv_nsec) / 1000
                milliseconds = timeout <= nowMicros ? 0 : Int32(min((timeout - nowMicros + 999) / 1000, 60_000))
            }
            var descriptors = [
                pollfd(fd: sd_bus_get_fd(bus), events: Int16(sd_bus_get_events(bus)), revents: 0),
                pollfd(fd: wakeRead, events: Int16(POLLIN), revents: 0),
            ]
            _ = poll(&descriptors, 2, milliseconds)
            if descriptors[1].revents != 0 {
                var drain = [UInt8](repeating: 0, count: 64)
                while read(wakeRead, &drain, drain.count) > 0 {}
            }
        }
    }

    // MARK: calls (bus thread)

    /// Calls a Manager method; `fill` appends the arguments, the reply is returned (caller unrefs).
    static func callManager(
        _ bus: OpaquePointer, _ method: String, timeoutMicroseconds: UInt64 = 25_000_000, _ fill: (OpaquePointer) throws -> Void
    ) throws -> OpaquePointer? {
        var message: OpaquePointer?
        try BusError.check(
            sd_bus_message_new_method_call(bus, &message, destination, managerPath, managerInterface, method), "new \(method)")
        defer { sd_bus_message_unref(message) }
        try fill(message!)
        var error = sd_bus_error()
        defer { sd_bus_error_free(&error) }
        var reply: OpaquePointer?
        let result = sd_bus_call(bus, message, timeoutMicroseconds, &error, &reply)
        if result < 0 {
            throw BusError(
                name: error.name.map { String(cString: $0) }, message: error.message.map { String(cString: $0) } ?? method,
                errno: -result)
        }
        return reply
    }

    /// A property of a unit object, read with `Get`.
    static func property<T>(_ bus: OpaquePointer, path: String, interface: String, _ name: String, type: Character, default value: T) -> T {
        var result = value
        var error = sd_bus_error()
        defer { sd_bus_error_free(&error) }
        _ = withUnsafeMutablePointer(to: &result) { pointer in
            sd_bus_get_property_trivial(bus, destination, path, interface, name, &error, CChar(type.asciiValue!), pointer)
        }
        return result
    }

    static func stringProperty(_ bus: OpaquePointer, path: String, interface: String, _ name: String) -> String? {
        var value: UnsafeMutablePointer<CChar>?
        var error = sd_bus_error()
        defer { sd_bus_error_free(&error) }
        guard sd_bus_get_property_string(bus, destination, path, interface, name, &error, &value) >= 0, let value else { return nil }
        defer { free(value) }
        return String(cString: value)
    }

    /// How the last command of an `Exec*` list property (`ExecStartPre`, type `a(sasbttttuii)`) ended:
    /// its siginfo code (0 = never ran, 1 = exited, 2/3 = killed/dumped) and status. nil if unreadable.
    static func lastCommandStatus(_ bus: OpaquePointer, path: String, _ name: String) -> (code: Int32, status: Int32)? {
        var error = sd_bus_error()
        defer { sd_bus_error_free(&error) }
        var reply: OpaquePointer?
        guard sd_bus_get_property(bus, destination, path, "org.freedesktop.systemd1.Service", name, &error, &reply, "a(sasbttttuii)") >= 0,
            let reply
        else { return nil }
        defer { sd_bus_message_unref(reply) }
        guard sd_bus_message_enter_container(reply, CChar(UInt8(ascii: "a")), "(sasbttttuii)") >= 0 else { return nil }
        var last: (code: Int32, status: Int32)?
        while sd_bus_message_enter_container(reply, CChar(UInt8(ascii: "r")), "sasbttttuii") > 0 {
            // Skip path, argv, ignore flag, four timestamps and the pid; read code and status.
            guard sd_bus_message_skip(reply, "sasbttttu") >= 0 else { return nil }
            var code: Int32 = 0
            var status: Int32 = 0
            guard sd_bus_message_read_basic(reply, CChar(UInt8(ascii: "i")), &code) >= 0,
                sd_bus_message_read_basic(reply, CChar(UInt8(ascii: "i")), &status) >= 0
            else { return nil }
            last = (code, status)
            sd_bus_message_exit_container(reply)
        }
        return last
    }

    // MARK: unit state

    /// Follows the unit at `path` until it is done; called on the bus thread before the unit starts.
    func watch(path: String, _ watcher: UnitWatcher) { watchers[path] = watcher }
    func unwatch(path: String) { watchers[path] = nil }

    private func propertiesChanged(_ message: OpaquePointer) {
        guard let rawPath = sd_bus_message_get_path(message) else { return }
        let path = String(cString: rawPath)
        guard let watcher = watchers[path] else { return }
        guard let interface = try? BusMessage.readString(message), interface == "org.freedesktop.systemd1.Unit" else { return }
        var activeState: String?
        guard sd_bus_message_enter_container(message, CChar(UInt8(ascii: "a")), "{sv}") > 0 else { return }
        while sd_bus_message_enter_container(message, CChar(UInt8(ascii: "e")), "sv") > 0 {
            let key = (try? BusMessage.readString(message)) ?? ""
            if key == "ActiveState", sd_bus_message_enter_container(message, CChar(UInt8(ascii: "v")), "s") > 0 {
                activeState = try? BusMessage.readString(message)
                sd_bus_message_exit_container(message)
            } else {
                sd_bus_message_skip(message, "v")
            }
            sd_bus_message_exit_container(message)
        }
        switch watcher.observe(activeState: activeState) {
        case .pending: break
        case .ended: watcher.resolve()
        case .verify:
            // Inactive, and we never saw it start: over if its main process has exited (a run so
            // short that systemd sent one signal for all of it), else not started yet.
            let exited = Self.property(
                bus!, path: path, interface: "org.freedesktop.systemd1.Service", "ExecMainExitTimestampMonotonic", type: "t",
                default: UInt64(0))
            if exited > 0 { watcher.resolve() }
        }
    }

    private func failAllWatchers() {
        for watcher in watchers.values { watcher.resolve() }
        watchers.removeAll()
    }
}

/// Waits for one unit to be over: inactive or failed after it started (the main process
/// ended and systemd cleaned up, a timeout, a start failure, our stop).
final class UnitWatcher: @unchecked Sendable {
    enum Verdict { case pending, ended, verify }

    private let lock = NSLock()
    private var ended = false
    private var continuation: CheckedContinuation<Void, Never>?
    private var sawStarted = false
    /// Set when we asked for the stop ourselves (cancellation): `inactive` then means done.
    var stopRequested = false

    /// Bus thread: a PropertiesChanged of the unit. `inactive` before any sign of the unit having
    /// started (systemd coalesces changes) is `verify`: the caller checks the main process ran.
    func observe(activeState: String?) -> Verdict {
        lock.withLock {
            guard let activeState else { return .pending }
            if ["activating", "active", "deactivating", "reloading"].contains(activeState) {
                sawStarted = true
                return .pending
            }
            if activeState == "failed" || (activeState == "inactive" && (sawStarted || stopRequested)) { return .ended }
            return activeState == "inactive" ? .verify : .pending
        }
    }

    func resolve() {
        let waiting: CheckedContinuation<Void, Never>? = lock.withLock {
            guard !ended else { return nil }
            ended = true
            defer { continuation = nil }
            return continuation
        }
        waiting?.resume()
    }

    func wait() async {
        await withCheckedContinuation { continuation in
            let done: Bool = lock.withLock {
                if ended { return true }
                self.continuation = continuation
                return false
            }
            if done { continuation.resume() }
        }
    }
}
