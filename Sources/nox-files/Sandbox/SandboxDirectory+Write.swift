import Glibc
import CArchive  // owns `struct stat` in this module's view (see Package.swift, CArchive)

extension SandboxDirectory {
    /// Creates the directory `path` and any missing parents (`mkdir -p`), one `mkdirat` per
    /// component in the descriptor of the one before, refusing a component that is a symlink or
    /// a file. Returns whether the last directory was created (false: it already existed).
    @discardableResult
    public func createDirectory(_ path: SandboxPath) throws(SandboxError) -> Bool {
        let (fd, created) = try makeDirectories(path, reportedPath: path.string)
        close(fd)
        return created
    }

    /// `mkdir -p` through descriptors; returns the last directory opened `O_RDONLY` (fsync-able).
    func makeDirectories(_ path: SandboxPath, reportedPath: String) throws(SandboxError) -> (fd: Int32, created: Bool) {
        var current = Sys.openat(rootFD, ".", flags: O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard current >= 0 else { throw .from(errno: -current, path: reportedPath, operation: "Opening the sandbox") }
        var created = false
        for (index, component) in path.components.enumerated() {
            created = mkdirat(current, component, options.directoryMode) == 0
            if !created && errno != EEXIST {
                let error = errno
                close(current)
                throw .from(errno: error, path: reportedPath, operation: "Creating a directory")
            }
            let last = index == path.components.count - 1
            let next = Sys.openat(current, component, flags: (last ? O_RDONLY : Sys.oPath) | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
            if next < 0 {
                // ENOTDIR for a file or (O_DIRECTORY being checked first) a symlink: say which.
                var error = -next
                if error == ENOTDIR, case .success(let st) = Sys.lstat(current, component), st.st_mode & S_IFMT == S_IFLNK { error = ELOOP }
                close(current)
                throw .from(errno: error, path: reportedPath, operation: "Opening a directory")
            }
            close(current)
            current = next
        }
        return (current, created)
    }

    /// Starts an atomic write of `path`: the data goes to a temporary file in the same directory
    /// and replaces `path` only on `commit()`, so a reader sees the old file or the new one, never
    /// part of it. Refuses a `path` that is a directory, a symlink or a special file.
    /// - Parameters:
    ///   - path: the file to create or replace.
    ///   - createParents: create missing parent directories (as `createDirectory`).
    public func beginWrite(_ path: SandboxPath, createParents: Bool = true) throws(SandboxError) -> SandboxWrite {
        guard let parent = path.parent, let name = path.name else {
            throw SandboxError(.isADirectory, path: "", "The sandbox root is a directory.")
        }
        let directory: Int32
        if createParents {
            directory = try makeDirectories(parent, reportedPath: path.string).fd
        } else {
            directory = try openDirectory(parent, readable: true, reportedPath: path.string)
        }
        do throws(SandboxError) {
            try Self.checkReplaceable(directory, name, path: path.string)
            let (fd, temporaryName) = try createTemporaryFile(in: directory, path: path.string)
            return SandboxWrite(directory: directory, file: fd, temporaryName: temporaryName, name: name, path: path)
        } catch {
            close(directory)
            throw error
        }
    }

    /// Writes `contents` to `path` atomically (see `beginWrite`).
    @discardableResult
    public func writeFile(_ path: SandboxPath, contents: some Collection<UInt8>, createParents: Bool = true) throws(SandboxError)
        -> SandboxWrite.Result
    {
        let write = try beginWrite(path, createParents: createParents)
        do throws(SandboxError) {
            try write.write(contents)
            return try write.commit()
        } catch {
            write.abort()
            throw error
        }
    }

    /// The target of a write may be missing or a regular file; nothing else.
    static func checkReplaceable(_ directory: Int32, _ name: String, path: String) throws(SandboxError) {
        switch Sys.lstat(directory, name) {
        case .failure(let error):
            if error.value != ENOENT { throw .from(errno: error.value, path: path, operation: "Inspecting") }
        case .success(let st):
            switch st.st_mode & S_IFMT {
            case S_IFREG: return
            case S_IFDIR: throw .from(errno: EISDIR, path: path, operation: "Writing")
            case S_IFLNK: throw .from(errno: ELOOP, path: path, operation: "Writing")
            default: throw SandboxError(.notRegularFile, path: path, "The path is not a regular file.")
            }
        }
    }

    /// An unnamed `O_TMPFILE` in `directory` (nothing to clean up if the process dies), or where
    /// the file system lacks it, a new name made with `O_CREAT | O_EXCL` (which never follows a link).
    private func createTemporaryFile(in directory: Int32, path: String) throws(SandboxError) -> (Int32, String?) {
        if options.useUnnamedTemporaryFiles {
            let fd = Sys.openat(directory, ".", flags: Sys.oTmpFile | O_WRONLY | O_CLOEXEC, mode: options.fileMode)
            if fd >= 0 { return (fd, nil) }
            if ![EOPNOTSUPP, EISDIR, EINVAL].contains(-fd) { throw .from(errno: -fd, path: path, operation: "Creating a temporary file") }
        }
        while true {
            let name = Sys.randomTemporaryName()
            let fd = Sys.openat(directory, name, flags: O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode: options.fileMode)
            if fd >= 0 { return (fd, name) }
            if -fd != EEXIST { throw .from(errno: -fd, path: path, operation: "Creating a temporary file") }
        }
    }
}

/// An atomic write in progress (from `SandboxDirectory.beginWrite`): `write` the data, then
/// `commit()` — or `abort()`, which leaves no temporary file behind. Released without a commit,
/// it aborts. Not for concurrent use.
public final class SandboxWrite {
    public struct Result: Sendable, Equatable {
        public var path: SandboxPath
        /// Bytes written.
        public var size: Int64
        /// True if the file did not exist before (201), false if it was replaced (200).
        public var created: Bool
        /// The new file (for its ETag).
        public var entry: SandboxEntry
    }

    private let directory: Int32
    private var file: Int32
    /// The name of the temporary file; nil while it is an unnamed `O_TMPFILE`.
    private var temporaryName: String?
    private let name: String
    public let path: SandboxPath
    public private(set) var bytesWritten: Int64 = 0
    private var finished = false

    init(directory: Int32, file: Int32, temporaryName: String?, name: String, path: SandboxPath) {
        self.directory = directory
        self.file = file
        self.temporaryName = temporaryName
        self.name = name
        self.path = path
    }

    deinit { abort() }

    /// Appends bytes.
    public func write(_ bytes: UnsafeRawBufferPointer) throws(SandboxError) {
        guard !finished else { throw SandboxError(.io, path: path.string, "The write is already finished.") }
        let error = Sys.writeAll(file, bytes)
        if error != 0 { throw .from(errno: error, path: path.string, operation: "Writing") }
        bytesWritten += Int64(bytes.count)
    }

    /// Appends bytes.
    public func write(_ bytes: some Collection<UInt8>) throws(SandboxError) {
        let result: SandboxError? =
            bytes.withContiguousStorageIfAvailable { buffer -> SandboxError? in
                do throws(SandboxError) { try write(UnsafeRawBufferPointer(buffer)) } catch { return error }
                return nil
            }
            ?? {
                let copy = Array(bytes)
                return copy.withUnsafeBytes { buffer -> SandboxError? in
                    do throws(SandboxError) { try write(buffer) } catch { return error }
                    return nil
                }
            }()
        if let result { throw result }
    }

    /// Makes the data durable (`fsync`), puts the file in place with one rename, and makes the
    /// rename durable (`fsync` of the directory). On failure nothing is left behind.
    public func commit() throws(SandboxError) -> Result {
        guard !finished else { throw SandboxError(.io, path: path.string, "The write is already finished.") }
        do throws(SandboxError) {
            let syncError = Sys.fsync(file)
            if syncError != 0 { throw .from(errno: syncError, path: path.string, operation: "Syncing") }
            var st = stat()
            guard fstat(file, &st) == 0 else { throw .from(errno: errno, path: path.string, operation: "Inspecting") }
            if temporaryName == nil { try linkTemporaryFile() }
            let temporary = temporaryName!
            // Created, if nothing is there now; else replace (only a regular file).
            var created = true
            if Sys.renameat2(directory, temporary, directory, name, flags: Sys.renameNoReplace) != 0 {
                let error = errno
                guard error == EEXIST else { throw .from(errno: error, path: path.string, operation: "Renaming") }
                created = false
                try SandboxDirectory.checkReplaceable(directory, name, path: path.string)
                guard renameat(directory, temporary, directory, name) == 0 else {
                    throw .from(errno: errno, path: path.string, operation: "Renaming")
                }
            }
            temporaryName = nil
            _ = Sys.fsync(directory)
            let entry = SandboxEntry(path: path, stat: st)
            finish()
            return Result(path: path, size: bytesWritten, created: created, entry: entry)
        } catch {
            abort()
            throw error
        }
    }

    /// Gives the `O_TMPFILE` a random name in the directory, through `/proc/self/fd` (allowed
    /// without privileges, unlike `AT_EMPTY_PATH` before Linux 6.10).
    private func linkTemporaryFile() throws(SandboxError) {
        while true {
            let candidate = Sys.randomTemporaryName()
            var result = linkat(AT_FDCWD, "/proc/self/fd/\(file)", directory, candidate, AT_SYMLINK_FOLLOW)
            if result != 0 && errno == ENOENT {
                result = linkat(file, "", directory, candidate, Sys.atEmptyPath)  // no /proc mounted
            }
            if result == 0 {
                temporaryName = candidate
                return
            }
            if errno != EEXIST { throw .from(errno: errno, path: path.string, operation: "Linking the temporary file") }
        }
    }

    /// Drops the write: removes the temporary file (through the directory descriptor, so the one
    /// this write created), closes everything. Idempotent.
    public func abort() {
        guard !finished else { return }
        if let temporaryName { _ = unlinkat(directory, temporaryName, 0) }
        temporaryName = nil
        finish()
    }

    private func finish() {
        finished = true
        if file >= 0 { close(file) }
        file = -1
        close(directory)
    }
}
