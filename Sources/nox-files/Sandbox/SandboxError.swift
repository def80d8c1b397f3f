import Glibc

/// Why a sandbox operation failed. Each code maps to one HTTP status and API error code
/// (`httpStatus`, `apiCode`), so the daemon's routes translate it without inspecting messages.
public struct SandboxError: Error, Sendable, Equatable, CustomStringConvertible {
    /// An open-ended set of failure kinds (a struct over a private enum, so a case can be added).
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Base: Hashable, Sendable {
            case invalidPath, symlinkRefused, notFound, notADirectory, isADirectory, notRegularFile
            case alreadyExists, directoryNotEmpty, invalidMove, noSpace, busy, io
        }
        private let base: Base
        private init(_ base: Base) { self.base = base }

        /// The client path breaks the rules of `SandboxPath` (`..`, absolute, NUL, backslash, too long, …).
        public static let invalidPath = Code(.invalidPath)
        /// A component of the path, or the entry acted on, is a symbolic link: never followed.
        public static let symlinkRefused = Code(.symlinkRefused)
        /// The entry, or one of its parents, does not exist.
        public static let notFound = Code(.notFound)
        /// A parent component, or the entry where a directory was expected, is not a directory.
        public static let notADirectory = Code(.notADirectory)
        /// A file operation named a directory.
        public static let isADirectory = Code(.isADirectory)
        /// A FIFO, socket or device node: never opened.
        public static let notRegularFile = Code(.notRegularFile)
        /// The destination exists and replacing it was not asked for (or is impossible).
        public static let alreadyExists = Code(.alreadyExists)
        /// A directory still has entries and recursion was not asked for.
        public static let directoryNotEmpty = Code(.directoryNotEmpty)
        /// A directory moved into itself or one of its descendants.
        public static let invalidMove = Code(.invalidMove)
        /// The file system (or the sandbox's disk quota) is full.
        public static let noSpace = Code(.noSpace)
        /// Any other system error; `errno` holds the cause. Not the client's fault.
        /// Out of file descriptors (EMFILE/ENFILE): the server is overloaded, not broken (503).
        public static let busy = Code(.busy)
        public static let io = Code(.io)

        public var description: String {
            switch base {
            case .invalidPath: "invalid_path"
            case .symlinkRefused: "symlink_refused"
            case .notFound: "not_found"
            case .notADirectory: "not_a_directory"
            case .isADirectory: "is_a_directory"
            case .notRegularFile: "not_a_regular_file"
            case .alreadyExists: "already_exists"
            case .directoryNotEmpty: "directory_not_empty"
            case .invalidMove: "invalid_move"
            case .noSpace: "no_space"
            case .busy: "busy"
            case .io: "io_error"
            }
        }

        /// The HTTP status the files API answers with.
        public var httpStatus: Int {
            switch base {
            case .invalidPath, .symlinkRefused: 400
            case .notFound: 404
            case .notADirectory, .isADirectory, .notRegularFile, .alreadyExists, .directoryNotEmpty, .invalidMove: 409
            case .noSpace: 507
            case .busy: 503
            case .io: 500
            }
        }

        /// The `error.code` of the JSON error body (API.md): a planted symlink is an `invalid_path`
        /// like any other path that would lead out; a full disk is `quota_exceeded`.
        public var apiCode: String {
            switch base {
            case .symlinkRefused: "invalid_path"
            case .noSpace: "quota_exceeded"
            case .io: "internal"
            default: description
            }
        }
    }

    public var code: Code
    /// The client's path as given (for `details.path`); may contain anything, even a NUL.
    public var path: String
    /// For people; never contains the sandbox's location on disk.
    public var message: String
    /// The system error behind it, if any.
    public var errno: Int32?

    public init(_ code: Code, path: String, _ message: String, errno: Int32? = nil) {
        self.code = code
        self.path = path
        self.message = message
        self.errno = errno
    }

    public var httpStatus: Int { code.httpStatus }
    public var apiCode: String { code.apiCode }
    public var description: String {
        "\(code): \(message) (path \(String(reflecting: path))\(errno.map { ", errno \($0) \(String(cString: strerror($0)))" } ?? ""))"
    }

    static func invalidPath(_ path: String, _ reason: String) -> SandboxError {
        SandboxError(.invalidPath, path: path, "Invalid path: \(reason).")
    }

    /// Maps the errno of a failed call on `path` to an error; the common cases get their own code.
    static func from(errno value: Int32, path: String, operation: String) -> SandboxError {
        switch value {
        case ELOOP: SandboxError(.symlinkRefused, path: path, "The path goes through a symbolic link, which is never followed.", errno: value)
        case EXDEV: SandboxError(.symlinkRefused, path: path, "The path leads outside the sandbox.", errno: value)
        case ENOENT: SandboxError(.notFound, path: path, "No such file or directory.", errno: value)
        case ENOTDIR: SandboxError(.notADirectory, path: path, "A component of the path is not a directory.", errno: value)
        case EISDIR: SandboxError(.isADirectory, path: path, "The path is a directory.", errno: value)
        case EEXIST: SandboxError(.alreadyExists, path: path, "The destination already exists.", errno: value)
        case ENOTEMPTY: SandboxError(.directoryNotEmpty, path: path, "The directory is not empty.", errno: value)
        case ENOSPC, EDQUOT: SandboxError(.noSpace, path: path, "No space left for this file.", errno: value)
        case EMFILE, ENFILE: SandboxError(.busy, path: path, "The server is too busy to open more files; try again shortly.", errno: value)
        case ENAMETOOLONG: invalidPath(path, "a name is too long")
        default: SandboxError(.io, path: path, "\(operation) failed.", errno: value)
        }
    }
}
