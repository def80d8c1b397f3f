/// Why making, reading or restoring a backup failed. Shaped like `SandboxError` (`httpStatus`,
/// `apiCode`, `message`), so the daemon's routes map both the same way.
///
/// `message` is for the client: it says what was wrong with the archive and names the entry,
/// never the server's paths or libarchive's own wording (which can contain them). `detail` is
/// for the daemon's log only.
public struct BackupError: Error, Sendable, Equatable, CustomStringConvertible {
    /// An open-ended set of failure kinds (a struct over a private enum, so a case can be added).
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Base: Hashable, Sendable { case invalidArchive, quotaExceeded, io }
        private let base: Base
        private init(_ base: Base) { self.base = base }

        /// Not a gzip-compressed tar, corrupt or truncated, or an entry that could leave or
        /// misuse the sandbox (absolute, `..`, a link, a device, …). The whole archive is refused.
        public static let invalidArchive = Code(.invalidArchive)
        /// The archive holds more bytes than the user's disk quota allows.
        public static let quotaExceeded = Code(.quotaExceeded)
        /// A failure of the server (disk, descriptors, libarchive itself): not the client's fault.
        public static let io = Code(.io)

        public var description: String {
            switch base {
            case .invalidArchive: "invalid_archive"
            case .quotaExceeded: "quota_exceeded"
            case .io: "io"
            }
        }

        public var httpStatus: Int {
            switch base {
            case .invalidArchive: 422
            case .quotaExceeded: 507
            case .io: 500
            }
        }

        /// The `error.code` of API.md's JSON error body.
        public var apiCode: String {
            switch base {
            case .invalidArchive: "invalid_archive"
            case .quotaExceeded: "quota_exceeded"
            case .io: "internal_error"
            }
        }
    }

    public var code: Code
    /// For people; names the offending entry, never a path on the server.
    public var message: String
    /// For the log only: what libarchive or the system said (may name server paths).
    public var detail: String?

    public init(_ code: Code, _ message: String, detail: String? = nil) {
        self.code = code
        self.message = message
        self.detail = detail
    }

    public var httpStatus: Int { code.httpStatus }
    public var apiCode: String { code.apiCode }
    public var description: String { "\(code): \(message)\(detail.map { " (\($0))" } ?? "")" }

    /// A refused archive entry; the name is quoted and shortened (it is the client's text).
    static func invalidEntry(_ name: String, _ reason: String) -> BackupError {
        BackupError(.invalidArchive, "The archive entry \(quoted(name)) \(reason).")
    }

    /// `name` in double quotes, cut to 200 characters so a hostile 4 KiB name stays readable.
    static func quoted(_ name: String) -> String {
        let short = name.count > 200 ? name.prefix(200) + "…" : Substring(name)
        return "\"\(short)\""
    }
}
