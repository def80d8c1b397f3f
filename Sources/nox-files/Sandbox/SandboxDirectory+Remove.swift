import Glibc
import CArchive  // owns `struct stat` in this module's view (see Package.swift, CArchive)

extension SandboxDirectory {
    /// What `remove` removed.
    public enum Removed: Sendable, Equatable {
        /// A file, or a symlink / special file (the entry itself; a link's target is untouched).
        case file
        case directory
    }

    /// Removes `path`. A file, symlink or special file is unlinked (a link is removed, never
    /// followed). A directory is removed if empty, or with `recursive` with everything in it.
    ///
    /// The recursive walk holds each directory open and acts only with `unlinkat` on names in it;
    /// it descends with `openat(O_NOFOLLOW | O_DIRECTORY)`, so a subdirectory swapped for a symlink
    /// mid-walk is unlinked as a link, not entered. It never resolves a path again. Its depth is
    /// bounded by the descriptor limit (one open directory per level).
    /// - Throws: `directoryNotEmpty` for a non-empty directory without `recursive`; `invalidPath`
    ///   for the root.
    @discardableResult
    public func remove(_ path: SandboxPath, recursive: Bool = false) throws(SandboxError) -> Removed {
        let (parent, name) = try openParent(path, readable: false)
        defer { close(parent) }
        let st: stat
        switch Sys.lstat(parent, name) {
        case .success(let value): st = value
        case .failure(let error): throw .from(errno: error.value, path: path.string, operation: "Inspecting")
        }
        if st.st_mode & S_IFMT != S_IFDIR {
            if unlinkat(parent, name, 0) == 0 { return .file }
            guard errno == EISDIR else { throw .from(errno: errno, path: path.string, operation: "Removing") }
            // Swapped for a directory since: remove it as one.
        }
        try removeDirectory(in: parent, name: Array(name.utf8CString), recursive: recursive, path: path.string)
        return .directory
    }

    /// Removes directory `name` in `parent`; with `recursive`, empties it first (retrying a few
    /// times if something is created in it meanwhile).
    private func removeDirectory(in parent: Int32, name: [CChar], recursive: Bool, path: String) throws(SandboxError) {
        for _ in 0..<8 {
            if unlinkat(parent, name, AT_REMOVEDIR) == 0 { return }
            let error = errno
            switch error {
            case ENOTEMPTY, EEXIST:
                guard recursive else { throw .from(errno: ENOTEMPTY, path: path, operation: "Removing") }
            case ENOTDIR:
                // Swapped for a file or link since it was inspected: remove that entry.
                if unlinkat(parent, name, 0) == 0 { return }
                throw .from(errno: errno, path: path, operation: "Removing")
            default:
                throw .from(errno: error, path: path, operation: "Removing")
            }
            options.beforeDescending?(String(nameBytes: name))
            let child = Sys.openat(parent, name, flags: O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
            if child < 0 {
                // ENOTDIR/ELOOP: now a symlink or file, removed as an entry on the next round.
                if -child == ENOTDIR || -child == ELOOP {
                    if unlinkat(parent, name, 0) == 0 { return }
                }
                if -child == ENOENT { return }
                throw .from(errno: -child, path: path, operation: "Opening a directory")
            }
            defer { close(child) }
            try emptyDirectory(child, path: path)
        }
        throw .from(errno: ENOTEMPTY, path: path, operation: "Removing")
    }

    /// Removes everything in the open directory `fd`.
    private func emptyDirectory(_ fd: Int32, path: String) throws(SandboxError) {
        let names: [[CChar]]
        switch Sys.readDirectory(fd) {
        case .success(let value): names = value
        case .failure(let error): throw .from(errno: error.value, path: path, operation: "Listing")
        }
        for name in names {
            if unlinkat(fd, name, 0) == 0 { continue }
            switch errno {
            case ENOENT: continue
            case EISDIR, EPERM: try removeDirectory(in: fd, name: name, recursive: true, path: path)
            default: throw .from(errno: errno, path: path, operation: "Removing")
            }
        }
    }

    /// Moves (renames) `source` to `destination` with one `renameat2` between their two opened
    /// parent directories. A symlink as `source` is refused; a symlink in either path is refused.
    /// - Parameters:
    ///   - replace: replace an existing destination (a file by a file, or an empty directory by
    ///     a directory); otherwise an existing destination is `alreadyExists`.
    ///   - createParents: create the destination's missing parent directories.
    /// - Throws: `invalidMove` when moving a directory into itself or beneath itself; `invalidPath`
    ///   for the root.
    public func move(_ source: SandboxPath, to destination: SandboxPath, replace: Bool = false, createParents: Bool = false) throws(SandboxError) {
        guard !source.isRoot, !destination.isRoot else {
            throw .invalidPath(source.isRoot ? source.string : destination.string, "the sandbox root cannot be moved or replaced")
        }
        if source == destination { _ = try stat(source); return }
        if destination.isSelfOrDescendant(of: source) {
            throw SandboxError(.invalidMove, path: destination.string, "A directory cannot be moved into itself.")
        }
        let (sourceParent, sourceName) = try openParent(source, readable: true)
        defer { close(sourceParent) }
        switch Sys.lstat(sourceParent, sourceName) {
        case .failure(let error): throw .from(errno: error.value, path: source.string, operation: "Inspecting")
        case .success(let st) where st.st_mode & S_IFMT == S_IFLNK: throw .from(errno: ELOOP, path: source.string, operation: "Moving")
        case .success: break
        }
        let destinationParent: Int32
        if createParents, let parent = destination.parent {
            destinationParent = try makeDirectories(parent, reportedPath: destination.string).fd
        } else {
            destinationParent = try openParent(destination, readable: true).fd
        }
        defer { close(destinationParent) }
        let destinationName = destination.name!
        if replace {
            // Replacing a link is harmless (rename replaces the entry), but stay consistent.
            if case .success(let st) = Sys.lstat(destinationParent, destinationName), st.st_mode & S_IFMT == S_IFLNK {
                throw .from(errno: ELOOP, path: destination.string, operation: "Moving")
            }
        }
        let flags = replace ? 0 : Sys.renameNoReplace
        guard Sys.renameat2(sourceParent, sourceName, destinationParent, destinationName, flags: flags) == 0 else {
            let error = errno
            switch error {
            case EINVAL: throw SandboxError(.invalidMove, path: destination.string, "A directory cannot be moved into itself.", errno: error)
            case ENOTEMPTY: throw .from(errno: EEXIST, path: destination.string, operation: "Moving")
            case ENOENT: throw .from(errno: error, path: source.string, operation: "Moving")
            default: throw .from(errno: error, path: destination.string, operation: "Moving")
            }
        }
        _ = Sys.fsync(destinationParent)
        _ = Sys.fsync(sourceParent)
    }
}
