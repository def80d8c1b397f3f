import Glibc

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// A login to one server: the token pair and when the access token expires.
public struct StoredLogin: Codable, Sendable, Equatable {
    public var username: String
    public var accessToken: String
    public var refreshToken: String
    /// Seconds since 1970 at which the access token expires.
    public var expiresAt: Double

    public init(username: String, accessToken: String, refreshToken: String, expiresAt: Double) {
        self.username = username
        self.accessToken = accessToken
        self.refreshToken = refreshToken
        self.expiresAt = expiresAt
    }

    enum CodingKeys: String, CodingKey {
        case username
        case accessToken = "access_token"
        case refreshToken = "refresh_token"
        case expiresAt = "expires_at"
    }
}

/// The credentials file (`~/.config/nox/credentials.json`): one login per server URL, readable
/// by its owner only (0600, in a 0700 directory), replaced atomically (temporary file +
/// rename), and changed under an exclusive lock: a refresh token works once (API.md: a spent one
/// revokes the whole family), so two noxctl processes refreshing at the same moment must not
/// both present it — the second one waits and then uses the pair the first one stored.
public struct CredentialStore: Sendable {
    public let path: String

    public init(path: String) {
        self.path = path
    }

    private var directory: String { POSIX.directoryName(path) }

    struct FileContents: Codable {
        var servers: [String: StoredLogin] = [:]
    }

    /// The login stored for `server`, if any.
    public func login(for server: String) throws -> StoredLogin? {
        try read().servers[server]
    }

    /// Runs `body` holding the file's lock; `body` may return a new login for `server`
    /// (or `.some(nil)` to remove it), which is written before the lock is released.
    @discardableResult
    public func update(_ server: String, _ body: (StoredLogin?) throws -> StoredLogin??) throws -> StoredLogin? {
        try ensureDirectory()
        let lockFD = open(path + ".lock", O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard lockFD >= 0 else { throw NoxCtlError("cannot open \(path).lock: \(String(cString: strerror(errno)))") }
        defer { close(lockFD) }
        while flock(lockFD, LOCK_EX) != 0 {
            guard errno == EINTR else { throw NoxCtlError("cannot lock \(path).lock: \(String(cString: strerror(errno)))") }
        }
        var contents = try read()
        let current = contents.servers[server]
        guard let change = try body(current) else { return current }
        if let login = change {
            contents.servers[server] = login
        } else {
            contents.servers.removeValue(forKey: server)
        }
        try write(contents)
        return change
    }

    func read() throws -> FileContents {
        guard let data = FileManager.default.contents(atPath: path) else {
            if FileManager.default.fileExists(atPath: path) { throw NoxCtlError("cannot read \(path)") }
            return FileContents()
        }
        do {
            return try JSONDecoder().decode(FileContents.self, from: data)
        } catch {
            throw NoxCtlError("\(path) is damaged (\(error)); remove it and log in again")
        }
    }

    private func ensureDirectory() throws {
        if POSIX.isDirectory(directory) { return }
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        } catch {
            throw NoxCtlError("cannot create \(directory): \(error)")
        }
    }

    private func write(_ contents: FileContents) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        let data: Data
        do { data = try encoder.encode(contents) } catch { throw NoxCtlError("cannot encode credentials: \(error)") }
        try writeFileAtomically(path, data, mode: 0o600)
    }
}

/// Writes `data` to `path` through a temporary file created with `mode` (never wider for a
/// moment), synced, then renamed over `path`.
func writeFileAtomically(_ path: String, _ data: Data, mode: mode_t) throws {
    let temporary = path + ".tmp-\(getpid())"
    let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, mode)
    guard fd >= 0 else { throw NoxCtlError("cannot write \(temporary): \(String(cString: strerror(errno)))") }
    var ok = fchmod(fd, mode) == 0
    if ok {
        ok = data.withUnsafeBytes { buffer in
            var offset = 0
            while offset < buffer.count {
                let written = Glibc.write(fd, buffer.baseAddress! + offset, buffer.count - offset)
                if written < 0 {
                    if errno == EINTR { continue }
                    return false
                }
                offset += written
            }
            return true
        }
    }
    ok = ok && fsync(fd) == 0
    let savedErrno = errno
    close(fd)
    guard ok, rename(temporary, path) == 0 else {
        let reason = String(cString: strerror(ok ? errno : savedErrno))
        unlink(temporary)
        throw NoxCtlError("cannot write \(path): \(reason)")
    }
}
