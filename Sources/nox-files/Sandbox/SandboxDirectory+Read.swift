import Glibc
import CArchive  // owns `struct stat` in this module's view (see Package.swift, CArchive)

extension SandboxDirectory {
    /// What `path` is, without following it if it is a symlink (a symlink is reported as
    /// `.symlink`; a symlink at an intermediate component is refused).
    public func stat(_ path: SandboxPath) throws(SandboxError) -> SandboxEntry {
        if path.isRoot {
            switch Sys.lstat(rootFD, nil) {
            case .success(let st): return SandboxEntry(path: path, stat: st)
            case .failure(let error): throw .from(errno: error.value, path: "", operation: "Inspecting")
            }
        }
        let (parent, name) = try openParent(path, readable: false)
        defer { close(parent) }
        switch Sys.lstat(parent, name) {
        case .success(let st): return SandboxEntry(path: path, stat: st)
        case .failure(let error): throw .from(errno: error.value, path: path.string, operation: "Inspecting")
        }
    }

    /// Opens a regular file for reading. A symlink anywhere on the path, a directory, a FIFO,
    /// socket or device is refused; FIFOs are opened non-blocking, so one planted in the sandbox
    /// cannot hang the daemon before the type check.
    public func openFile(_ path: SandboxPath) throws(SandboxError) -> SandboxFile {
        if path.isRoot { throw SandboxError(.isADirectory, path: "", "The path is a directory.") }
        let fd = try open(path.components[...], flags: O_RDONLY | O_NONBLOCK | O_NOCTTY, path: path.string)
        let st: stat
        switch Sys.lstat(fd, nil) {
        case .success(let value): st = value
        case .failure(let error):
            close(fd)
            throw .from(errno: error.value, path: path.string, operation: "Inspecting")
        }
        switch st.st_mode & S_IFMT {
        case S_IFREG:
            _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK)
            return SandboxFile(descriptor: fd, entry: SandboxEntry(path: path, stat: st))
        case S_IFDIR:
            close(fd)
            throw .from(errno: EISDIR, path: path.string, operation: "Opening")
        default:
            close(fd)
            throw SandboxError(.notRegularFile, path: path.string, "The path is not a regular file.")
        }
    }

    /// The entries of the directory `path`, sorted by path; with `recursive`, of every directory
    /// beneath it too (descending through descriptors, never into a symlink). Symlinks, FIFOs and
    /// the like are listed as such (`.symlink`, `.other`) so they can be seen and removed; the
    /// daemon may hide them. Entries that vanish while listing are left out; a subdirectory that
    /// cannot be opened is listed but not descended into.
    public func list(_ path: SandboxPath, recursive: Bool = false) throws(SandboxError) -> [SandboxEntry] {
        let fd = try openDirectory(path, readable: true)
        defer { close(fd) }
        var entries: [SandboxEntry] = []
        try list(directory: fd, at: path, recursive: recursive, into: &entries)
        entries.sort { $0.path.string < $1.path.string }
        return entries
    }

    private func list(directory fd: Int32, at path: SandboxPath, recursive: Bool, into entries: inout [SandboxEntry]) throws(SandboxError) {
        let names: [[CChar]]
        switch Sys.readDirectory(fd) {
        case .success(let value): names = value
        case .failure(let error): throw .from(errno: error.value, path: path.string, operation: "Listing")
        }
        for name in names {
            guard case .success(let st) = Sys.lstat(fd, name) else { continue }
            let entry = SandboxEntry(path: path.appendingTrusted(String(nameBytes: name)), stat: st)
            entries.append(entry)
            guard recursive, entry.kind == .directory else { continue }
            let child = Sys.openat(fd, name, flags: O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
            guard child >= 0 else { continue }
            defer { close(child) }
            try list(directory: child, at: entry.path, recursive: true, into: &entries)
        }
    }
}

/// An open regular file of a sandbox, and what it was when opened. Reads see the file as it was
/// opened: an atomic replacement meanwhile does not change what this descriptor reads.
/// Closes its descriptor when released (or on `close()`, or hands it over with `takeDescriptor()`).
public final class SandboxFile {
    private var fd: Int32
    /// The file when it was opened (`fstat` on this descriptor).
    public let entry: SandboxEntry

    init(descriptor: Int32, entry: SandboxEntry) {
        fd = descriptor
        self.entry = entry
    }

    deinit { close() }

    /// The descriptor (for `sendfile`, NIO's `NIOFileHandle`); -1 once closed.
    public var descriptor: Int32 { fd }

    /// Gives up ownership: the caller must close the descriptor.
    public func takeDescriptor() -> Int32 {
        defer { fd = -1 }
        return fd
    }

    public func close() {
        if fd >= 0 { _ = Glibc.close(fd) }
        fd = -1
    }

    /// Up to `count` bytes at `offset` (`pread`); fewer only at the end of the file.
    public func read(at offset: Int64, count: Int) throws(SandboxError) -> [UInt8] {
        var buffer = [UInt8](repeating: 0, count: count)
        var total = 0
        while total < count {
            let got = buffer.withUnsafeMutableBytes { pread(fd, $0.baseAddress! + total, count - total, off_t(offset) + off_t(total)) }
            if got < 0 {
                if errno == EINTR { continue }
                throw .from(errno: errno, path: entry.path.string, operation: "Reading")
            }
            if got == 0 { break }
            total += got
        }
        buffer.removeLast(count - total)
        return buffer
    }

    /// The whole file, as of now (for tests and small files).
    public func readAll() throws(SandboxError) -> [UInt8] {
        var result: [UInt8] = []
        while true {
            let chunk = try read(at: Int64(result.count), count: 1 << 20)
            result += chunk
            if chunk.count < 1 << 20 { return result }
        }
    }
}
