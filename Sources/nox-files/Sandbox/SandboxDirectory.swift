import CNoxFiles
import Glibc
import CArchive  // owns `struct stat` in this module's view (see Package.swift, CArchive)

/// One user's sandbox directory, opened once; every operation resolves its path *beneath* that
/// descriptor and never follows a symbolic link — not at the leaf, not at any component — so
/// links that code run in the sandbox plants (to `/etc/shadow`, to Nox's state, to another
/// user's sandbox) cannot make the files API read or write anything else (Judge0
/// CVE-2024-28185/28189).
///
/// Resolution is `openat2(RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS)` where
/// the kernel has it (5.6+), else a walk of `openat(O_PATH | O_NOFOLLOW)` per component, each
/// checked with `fstat` on the descriptor it returned. Either way the check and the use are
/// the same descriptor, so a component swapped for a symlink between two calls is refused,
/// not followed. Then each operation acts with *at(2) calls on one name in a directory it holds
/// open (`unlinkat`, `renameat2`, `mkdirat`, `fstatat(AT_SYMLINK_NOFOLLOW)`).
///
/// Symlinks are refused even when they point inside the sandbox: telling "inside" from
/// "outside" means resolving the link, which is the race this type exists to avoid, and the
/// files API has no use for links. The one operation that acts on a symlink is `remove`, which
/// removes the link itself (unlink never follows), so planted links can be cleaned up.
///
/// The root path itself is trusted (the daemon builds it); only its last component is opened
/// with `O_NOFOLLOW`. The type holds one descriptor and no other state: share it freely.
public final class SandboxDirectory: Sendable {
    /// Names of in-flight temporary files start with this (only visible briefly, or after a
    /// crash between link and rename when `O_TMPFILE` is unsupported; the daemon may sweep them).
    public static let temporaryPrefix = ".nox-tmp-"

    public struct Options: Sendable {
        /// Mode of files created (the process umask still applies).
        public var fileMode: mode_t
        /// Mode of directories created (the process umask still applies).
        public var directoryMode: mode_t
        /// Tests force one resolution strategy; nil probes for `openat2`.
        var forceResolution: Resolution?
        /// Tests force named temporary files instead of `O_TMPFILE`.
        var useUnnamedTemporaryFiles = true
        /// Tests swap a directory for a symlink at the worst moment of a recursive removal:
        /// after it was found to be a non-empty directory, before it is opened.
        var beforeDescending: (@Sendable (String) -> Void)?

        public init(fileMode: mode_t = 0o644, directoryMode: mode_t = 0o755) {
            self.fileMode = fileMode
            self.directoryMode = directoryMode
        }
    }

    enum Resolution: Sendable { case openat2, componentWalk }

    let rootFD: Int32
    let resolution: Resolution
    let options: Options

    /// Opens the sandbox directory `path` (`O_PATH | O_DIRECTORY | O_NOFOLLOW`).
    public init(path: String, options: Options = Options()) throws(SandboxError) {
        let fd = Sys.openat(AT_FDCWD, path, flags: Sys.oPath | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
        guard fd >= 0 else {
            throw SandboxError(-fd == ENOENT ? .notFound : .io, path: "", "The sandbox directory cannot be opened.", errno: -fd)
        }
        rootFD = fd
        self.options = options
        if let forced = options.forceResolution {
            resolution = forced
        } else {
            let probe = Sys.openat2(fd, ".", flags: Sys.oPath | O_DIRECTORY | O_CLOEXEC)
            if probe >= 0 { close(probe) }
            // ENOSYS: kernel before 5.6; EPERM: a seccomp filter that does not know the call.
            resolution = probe >= 0 ? .openat2 : .componentWalk
        }
    }

    deinit { close(rootFD) }

    /// Whether paths are resolved with `openat2` (else the per-component walk).
    public var usesOpenat2: Bool { resolution == .openat2 }

    // MARK: - Resolution

    /// Opens `components` beneath the root with `flags` (`O_NOFOLLOW | O_CLOEXEC` added).
    /// No component, the last included, may be a symlink — except that with `O_PATH` a final
    /// symlink is opened itself (callers check the type with `fstat`).
    func open(_ components: ArraySlice<String>, flags: Int32, path: String) throws(SandboxError) -> Int32 {
        let flags = flags | O_NOFOLLOW | O_CLOEXEC
        if components.isEmpty {
            let fd = Sys.openat(rootFD, ".", flags: flags)
            guard fd >= 0 else { throw .from(errno: -fd, path: path, operation: "Opening the sandbox") }
            return fd
        }
        switch resolution {
        case .openat2:
            let fd = Sys.openat2(rootFD, components.joined(separator: "/"), flags: flags)
            if fd >= 0 { return fd }
            if -fd == ENOTDIR { throw classifyNotADirectory(components, path: path) }
            throw .from(errno: -fd, path: path, operation: "Opening")
        case .componentWalk:
            let parent = try walk(components.dropLast(), path: path)
            defer { if parent != rootFD { close(parent) } }
            let fd = Sys.openat(parent, components.last!, flags: flags)
            if fd >= 0 { return fd }
            if -fd == ENOTDIR { throw classifyNotADirectory(components, path: path) }
            throw .from(errno: -fd, path: path, operation: "Opening")
        }
    }

    /// Opens each component with `O_PATH | O_NOFOLLOW` and checks, on the descriptor just
    /// opened, that it is a directory and not a symlink. Returns `rootFD` itself for no components.
    private func walk(_ components: ArraySlice<String>, path: String) throws(SandboxError) -> Int32 {
        var current = rootFD
        for component in components {
            let next = Sys.openat(current, component, flags: Sys.oPath | O_NOFOLLOW | O_CLOEXEC)
            if current != rootFD { close(current) }
            guard next >= 0 else { throw .from(errno: -next, path: path, operation: "Opening") }
            current = next
            let st: stat
            switch Sys.lstat(current, nil) {
            case .success(let value): st = value
            case .failure(let error):
                close(current)
                throw .from(errno: error.value, path: path, operation: "Inspecting")
            }
            switch st.st_mode & S_IFMT {
            case S_IFDIR: continue
            case S_IFLNK:
                close(current)
                throw .from(errno: ELOOP, path: path, operation: "Opening")
            default:
                close(current)
                throw .from(errno: ENOTDIR, path: path, operation: "Opening")
            }
        }
        return current
    }

    /// ENOTDIR hides whether the offending component is a file or a symlink (the kernel checks
    /// `O_DIRECTORY` before refusing a trailing link): walk again to name the right one.
    private func classifyNotADirectory(_ components: ArraySlice<String>, path: String) -> SandboxError {
        do {
            let fd = try walk(components, path: path)
            if fd != rootFD { close(fd) }
        } catch {
            return error
        }
        return .from(errno: ENOTDIR, path: path, operation: "Opening")
    }

    /// Opens the directory `path` for reading (`readable`) or as an `O_PATH` handle.
    func openDirectory(_ path: SandboxPath, readable: Bool, reportedPath: String? = nil) throws(SandboxError) -> Int32 {
        try open(path.components[...], flags: (readable ? O_RDONLY : Sys.oPath) | O_DIRECTORY, path: reportedPath ?? path.string)
    }

    /// The parent of a non-root path, opened, and the leaf name.
    func openParent(_ path: SandboxPath, readable: Bool) throws(SandboxError) -> (fd: Int32, name: String) {
        guard let parent = path.parent, let name = path.name else {
            throw .invalidPath(path.string, "the sandbox root cannot be used here")
        }
        return (try openDirectory(parent, readable: readable, reportedPath: path.string), name)
    }
}
