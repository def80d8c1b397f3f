import CSystemd
import Foundation
public import Logging

/// A swift-log handler that writes structured journald entries with `sd_journal_sendv`.
///
/// Metadata becomes journal fields: `nox.request_id` → `NOX_REQUEST_ID`, `nox.user` → `NOX_USER`,
/// `http.status` → `NOX_HTTP_STATUS`; so `journalctl NOX_USER=alice` finds a user's requests.
public struct JournaldLogHandler: LogHandler {
    public var metadata: Logger.Metadata = [:]
    public var logLevel: Logger.Level = .info
    let label: String
    let identifier: String

    public init(label: String, identifier: String) {
        self.label = label
        self.identifier = identifier
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var fields: [String] = [
            "MESSAGE=\(event.message)",
            "PRIORITY=\(Self.priority(event.level))",
            "SYSLOG_IDENTIFIER=\(identifier)",
            "CODE_FILE=\(event.file)",
            "CODE_LINE=\(event.line)",
            "CODE_FUNC=\(event.function)",
            "NOX_LOGGER=\(label)",
        ]
        var merged = metadata
        if let extra = event.metadata { merged.merge(extra) { _, new in new } }
        for (key, value) in merged {
            fields.append("\(Self.fieldName(key))=\(value)")
        }
        Self.send(fields)
    }

    /// Maps a dotted metadata key to a valid journal field name (A–Z, 0–9, _; ≤ 64; NOX_ prefix).
    static func fieldName(_ key: String) -> String {
        var name = String(key.uppercased().map { ($0.isASCII && ($0.isLetter || $0.isNumber)) ? $0 : "_" })
        if !name.hasPrefix("NOX_") { name = "NOX_" + name }
        return String(name.prefix(64))
    }

    static func priority(_ level: Logger.Level) -> Int {
        switch level {
        case .trace, .debug: return 7
        case .info: return 6
        case .notice: return 5
        case .warning: return 4
        case .error: return 3
        case .critical: return 2
        }
    }

    static func send(_ fields: [String]) {
        // sd_journal_send is variadic and cannot be called from Swift; sd_journal_sendv takes iovecs.
        let pointers = fields.map { strdup($0) }
        defer { pointers.forEach { free($0) } }
        var iovecs = pointers.compactMap { pointer in
            pointer.map { iovec(iov_base: UnsafeMutableRawPointer($0), iov_len: strlen($0)) }
        }
        _ = sd_journal_sendv(&iovecs, CInt(iovecs.count))
    }
}

/// Chooses where the process logs: journald under systemd, stderr otherwise (development).
public enum NoxLogging {
    /// Bootstraps swift-log once, for `main` only (libraries take a `Logger`).
    public static func bootstrap(identifier: String, level: Logger.Level = .info) {
        let underSystemd =
            ProcessInfo.processInfo.environment["INVOCATION_ID"] != nil
            || ProcessInfo.processInfo.environment["JOURNAL_STREAM"] != nil
        LoggingSystem.bootstrap { label in
            if underSystemd {
                var handler = JournaldLogHandler(label: label, identifier: identifier)
                handler.logLevel = level
                return handler
            }
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
    }
}
