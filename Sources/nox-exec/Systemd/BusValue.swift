import CSystemd
import Glibc

/// A D-Bus value of a transient unit's property, in exactly the types systemd's
/// `StartTransientUnit` expects (see org.freedesktop.systemd1(5)).
///
/// Written by hand over `sd_bus_message_append_basic` and containers: the variadic
/// `sd_bus_message_append` cannot be called from Swift.
enum BusValue: Sendable {
    case string(String)
    case bool(Bool)
    case int32(Int32)
    case uint32(UInt32)
    case uint64(UInt64)
    case strings([String])
    /// A file descriptor (`h`); sd-bus duplicates it into the message.
    case fileDescriptor(Int32)
    /// `ExecStart=`: `a(sasb)` — path, argv (argv[0] first), ignore-failure.
    case execCommands([(path: String, argv: [String], ignoreFailure: Bool)])
    /// `ExecStopPostEx=` and friends: `a(sasas)` — path, argv, flags (`privileged`, `ignore-failure`).
    case execCommandsWithFlags([(path: String, argv: [String], flags: [String])])
    /// `SystemCallFilter=`, `RestrictAddressFamilies=`: `(bas)` — allow-list?, names.
    case flaggedStrings(Bool, [String])
    /// `BindPaths=`: `a(ssbt)` — source, destination, ignore-if-missing, mount flags.
    case bindPaths([(source: String, destination: String, ignoreMissing: Bool, flags: UInt64)])
    /// `TemporaryFileSystem=`: `a(ss)` — path, mount options.
    case stringPairs([(String, String)])
    /// `SuccessExitStatus=`: `(aiai)` — exit statuses, signals.
    case exitStatuses(statuses: [Int32], signals: [Int32])
    /// `IPAddressDeny=`: `a(iayu)` — address family, address bytes, prefix length.
    case ipPrefixes([(family: Int32, address: [UInt8], prefixLength: UInt32)])

    var signature: String {
        switch self {
        case .string: "s"
        case .bool: "b"
        case .int32: "i"
        case .uint32: "u"
        case .uint64: "t"
        case .strings: "as"
        case .fileDescriptor: "h"
        case .execCommands: "a(sasb)"
        case .execCommandsWithFlags: "a(sasas)"
        case .flaggedStrings: "(bas)"
        case .bindPaths: "a(ssbt)"
        case .stringPairs: "a(ss)"
        case .exitStatuses: "(aiai)"
        case .ipPrefixes: "a(iayu)"
        }
    }

    /// Appends the value (without a variant around it).
    func append(to message: OpaquePointer) throws {
        switch self {
        case .string(let value): try BusMessage.appendString(message, value)
        case .bool(let value): try BusMessage.appendInt(message, "b", Int32(value ? 1 : 0))
        case .int32(let value): try BusMessage.appendInt(message, "i", value)
        case .uint32(let value):
            var copy = value
            try BusError.check(sd_bus_message_append_basic(message, CChar(UInt8(ascii: "u")), &copy), "append u")
        case .uint64(let value):
            var copy = value
            try BusError.check(sd_bus_message_append_basic(message, CChar(UInt8(ascii: "t")), &copy), "append t")
        case .strings(let values): try BusMessage.appendStrings(message, values)
        case .fileDescriptor(let fd): try BusMessage.appendInt(message, "h", fd)
        case .execCommands(let commands):
            try BusMessage.container(message, "a", "(sasb)") {
                for command in commands {
                    try BusMessage.container(message, "r", "sasb") {
                        try BusMessage.appendString(message, command.path)
                        try BusMessage.appendStrings(message, command.argv)
                        try BusMessage.appendInt(message, "b", command.ignoreFailure ? 1 : 0)
                    }
                }
            }
        case .execCommandsWithFlags(let commands):
            try BusMessage.container(message, "a", "(sasas)") {
                for command in commands {
                    try BusMessage.container(message, "r", "sasas") {
                        try BusMessage.appendString(message, command.path)
                        try BusMessage.appendStrings(message, command.argv)
                        try BusMessage.appendStrings(message, command.flags)
                    }
                }
            }
        case .flaggedStrings(let flag, let values):
            try BusMessage.container(message, "r", "bas") {
                try BusMessage.appendInt(message, "b", flag ? 1 : 0)
                try BusMessage.appendStrings(message, values)
            }
        case .bindPaths(let binds):
            try BusMessage.container(message, "a", "(ssbt)") {
                for bind in binds {
                    try BusMessage.container(message, "r", "ssbt") {
                        try BusMessage.appendString(message, bind.source)
                        try BusMessage.appendString(message, bind.destination)
                        try BusMessage.appendInt(message, "b", bind.ignoreMissing ? 1 : 0)
                        try BusValue.uint64(bind.flags).append(to: message)
                    }
                }
            }
        case .stringPairs(let pairs):
            try BusMessage.container(message, "a", "(ss)") {
                for (first, second) in pairs {
                    try BusMessage.container(message, "r", "ss") {
                        try BusMessage.appendString(message, first)
                        try BusMessage.appendString(message, second)
                    }
                }
            }
        case .exitStatuses(let statuses, let signals):
            try BusMessage.container(message, "r", "aiai") {
                for list in [statuses, signals] {
                    try BusMessage.container(message, "a", "i") {
                        for value in list { try BusMessage.appendInt(message, "i", value) }
                    }
                }
            }
        case .ipPrefixes(let prefixes):
            try BusMessage.container(message, "a", "(iayu)") {
                for prefix in prefixes {
                    try BusMessage.container(message, "r", "iayu") {
                        try BusMessage.appendInt(message, "i", prefix.family)
                        try BusMessage.container(message, "a", "y") {
                            for byte in prefix.address {
                                var copy = byte
                                try BusError.check(sd_bus_message_append_basic(message, CChar(UInt8(ascii: "y")), &copy), "append y")
                            }
                        }
                        try BusValue.uint32(prefix.prefixLength).append(to: message)
                    }
                }
            }
        }
    }
}

/// Low-level helpers over an `sd_bus_message`.
enum BusMessage {
    static func appendString(_ message: OpaquePointer, _ value: String) throws {
        let result = value.withCString { sd_bus_message_append_basic(message, CChar(UInt8(ascii: "s")), $0) }
        try BusError.check(result, "append s")
    }

    /// `b`, `i` and `h` are all 32-bit on the wire.
    static func appendInt(_ message: OpaquePointer, _ type: Character, _ value: Int32) throws {
        var copy = value
        try BusError.check(sd_bus_message_append_basic(message, CChar(type.asciiValue!), &copy), "append \(type)")
    }

    static func appendStrings(_ message: OpaquePointer, _ values: [String]) throws {
        try container(message, "a", "s") {
            for value in values { try appendString(message, value) }
        }
    }

    static func container(_ message: OpaquePointer, _ type: Character, _ contents: String, _ body: () throws -> Void) throws {
        try BusError.check(sd_bus_message_open_container(message, CChar(type.asciiValue!), contents), "open \(type)\(contents)")
        try body()
        try BusError.check(sd_bus_message_close_container(message), "close \(type)\(contents)")
    }

    /// Reads a basic string (`s`, `o`) at the current position.
    static func readString(_ message: OpaquePointer, _ type: Character = "s") throws -> String {
        var pointer: UnsafePointer<CChar>?
        try BusError.check(sd_bus_message_read_basic(message, CChar(type.asciiValue!), &pointer), "read \(type)")
        return pointer.map { String(cString: $0) } ?? ""
    }
}

/// A failed sd-bus call: the D-Bus error name when there is one, else the errno.
struct BusError: Error, CustomStringConvertible, Sendable {
    var name: String?
    var message: String
    var errno: Int32

    static func check(_ result: Int32, _ what: @autoclosure () -> String) throws {
        if result < 0 { throw BusError(name: nil, message: "\(what()): \(String(cString: strerror(-result)))", errno: -result) }
    }

    var description: String { name.map { "\($0): \(message)" } ?? message }
}
