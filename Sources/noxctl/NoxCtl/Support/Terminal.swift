import Glibc

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// What the terminal allows: colours only when stdout is a terminal and `NO_COLOR` is not set
/// (no-color.org: any value, even empty, turns colours off) and TERM is not `dumb`.
public struct Terminal: Sendable {
    public var colors: Bool
    /// Progress bars: stdout is a terminal (the rule) and stderr too (where they are drawn).
    public var progress: Bool

    public init(colors: Bool, progress: Bool) {
        self.colors = colors
        self.progress = progress
    }

    public static func isTerminal(_ fd: Int32) -> Bool { isatty(fd) == 1 }

    /// The terminal of this process.
    public static func current(environment: [String: String] = ProcessInfo.processInfo.environment) -> Terminal {
        let stdoutTTY = isTerminal(1)
        let colors = stdoutTTY && environment["NO_COLOR"] == nil && environment["TERM"] != "dumb"
        return Terminal(colors: colors, progress: stdoutTTY && isTerminal(2))
    }

    public enum Style: String, Sendable {
        case bold = "1"
        case dim = "2"
        case red = "31"
        case green = "32"
        case yellow = "33"
        case blue = "34"
        case cyan = "36"
    }

    /// `text` in `style` when colours are on.
    public func paint(_ text: String, _ style: Style?) -> String {
        guard colors, let style, !text.isEmpty else { return text }
        return "\u{1B}[\(style.rawValue)m\(text)\u{1B}[0m"
    }

    /// The colour of a status word (units, health, runs, audit outcomes).
    public static func style(forStatus status: String) -> Style? {
        switch status {
        case "ok", "active", "running", "succeeded", "success", "listening", "enabled", "static": return .green
        case "idle", "inactive", "queued", "dead", "waiting": return .dim
        case "degraded", "activating", "deactivating", "reloading", "timeout", "cancelled", "denied", "killed", "oom": return .yellow
        case "failed", "error", "failure", "unavailable", "not-found", "disabled": return .red
        default: return nil
        }
    }
}

/// Writing to stdout/stderr without Foundation's buffering surprises: each call is written out
/// at once (output interleaves correctly with a streamed run and with progress bars).
public enum Console {
    public static func out(_ text: String) { writeAll(1, Array(text.utf8)) }
    public static func line(_ text: String = "") { out(text + "\n") }
    public static func err(_ text: String) { writeAll(2, Array((text + "\n").utf8)) }

    /// Writes every byte to `fd`, retrying after EINTR and short writes; false if it failed.
    @discardableResult
    public static func writeAll(_ fd: Int32, _ bytes: UnsafeRawBufferPointer) -> Bool {
        var offset = 0
        while offset < bytes.count {
            let written = write(fd, bytes.baseAddress! + offset, bytes.count - offset)
            if written < 0 {
                if errno == EINTR { continue }
                // stdout closed by the reader (noxctl files cat big | head): end quietly with
                // the status a SIGPIPE death gives, as cat does (SIGPIPE itself is ignored so
                // that a broken connection inside libcurl cannot kill noxctl).
                if errno == EPIPE && fd == 1 { exit(128 + SIGPIPE) }
                return false
            }
            offset += written
        }
        return true
    }

    @discardableResult
    public static func writeAll(_ fd: Int32, _ bytes: [UInt8]) -> Bool {
        bytes.withUnsafeBytes { writeAll(fd, $0) }
    }
}
