import Foundation
import Glibc
import CArchive  // owns `struct stat` in this module's view (see Package.swift, CArchive)

/// Where each user's files live, and the ownership model that lets runs and this daemon share them.
///
/// `USERS` (`/var/lib/nox/users`, made by tmpfiles.d) is owned by nox-files, group `nox-run`,
/// mode `2770`: the setgid bit makes every directory created beneath it — `USERS/NAME`,
/// `USERS/NAME/sandbox`, and everything a run or the API creates inside — group `nox-run` and
/// setgid in turn, whichever uid creates it. (The daemon itself may not set a setgid bit:
/// `RestrictSUIDSGID=yes`; it never needs to.) Runs (nox-exec) execute as a systemd DynamicUser
/// with `nox-run` as a supplementary group and `UMask=0007`, so what they create is group
/// read-write; the daemon's files are `0660` and directories `0770` (`UMask=0007` too), so the
/// next run can change them. nox-files additionally holds `CAP_DAC_OVERRIDE` (its only
/// capability) because a run may `chmod 600` its own files; the daemon must still be able to
/// list, back up, measure and delete them. Only one sandbox is ever bind-mounted into a run, so
/// sharing the group across users grants nothing across users.
public final class UserSandboxes: Sendable {
    /// `USERS` (normally `/var/lib/nox/users`).
    public let root: String

    public static let fileMode: mode_t = 0o660
    public static let directoryMode: mode_t = 0o770
    public static let sandboxOptions = SandboxDirectory.Options(fileMode: fileMode, directoryMode: directoryMode)

    public init(root: String) {
        self.root = root
    }

    /// API.md's username rule, checked again here because a name becomes a path.
    public static func isValidUsername(_ name: String) -> Bool {
        guard let first = name.utf8.first, (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(first), name.utf8.count <= 32 else { return false }
        return name.utf8.allSatisfy { byte in
            (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
                || byte == UInt8(ascii: "_")
        }
    }

    /// `USERS/NAME`: the sandbox and, briefly, a restore being built beside it.
    public func userDirectory(_ username: String) -> String { root + "/" + username }
    public func sandboxPath(_ username: String) -> String { userDirectory(username) + "/sandbox" }

    /// Creates the user's sandbox when missing and returns its path.
    @discardableResult
    public func ensure(_ username: String) throws(SandboxError) -> String {
        guard Self.isValidUsername(username) else { throw SandboxError(.invalidPath, path: "", "Not a valid username.") }
        let user = userDirectory(username)
        let sandbox = sandboxPath(username)
        if case .success(let st) = Sys.lstat(AT_FDCWD, sandbox), st.st_mode & S_IFMT == S_IFDIR { return sandbox }
        try makeDirectory(root, mode: 0o770)
        try makeDirectory(user, mode: 0o750)
        try makeDirectory(sandbox, mode: Self.directoryMode)
        return sandbox
    }

    /// A new empty directory beside the user's sandbox, made like one (a restore is built there).
    public func makeStagingSandbox(_ username: String) throws(SandboxError) -> String {
        _ = try ensure(username)
        while true {
            let path = userDirectory(username) + "/restore-" + Sys.randomTemporaryName()
            if mkdir(path, Self.directoryMode) == 0 { return path }
            if errno != EEXIST { throw SandboxError(.io, path: "", "A restore directory cannot be created.", errno: errno) }
        }
    }

    /// Opens the user's sandbox, creating it on first use.
    public func open(_ username: String) throws(SandboxError) -> SandboxDirectory {
        try SandboxDirectory(path: try ensure(username), options: Self.sandboxOptions)
    }

    /// Names of users that have a sandbox.
    public func usernames() -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: root)) ?? []
        return names.filter(Self.isValidUsername).sorted()
    }

    /// Removes `USERS/NAME` entirely, never following a link inside it.
    public func delete(_ username: String) throws(SandboxError) -> Bool {
        guard Self.isValidUsername(username) else { throw SandboxError(.invalidPath, path: "", "Not a valid username.") }
        let parent = try SandboxDirectory(path: root)
        do {
            _ = try parent.remove(try SandboxPath(username), recursive: true)
            return true
        } catch where error.code == .notFound {
            return false
        }
    }

    private func makeDirectory(_ path: String, mode: mode_t) throws(SandboxError) {
        if mkdir(path, mode) != 0 && errno != EEXIST {
            throw SandboxError(.io, path: "", "A storage directory cannot be created.", errno: errno)
        }
    }
}
