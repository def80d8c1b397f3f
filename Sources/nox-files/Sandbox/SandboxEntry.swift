import Foundation
import Glibc
import CArchive  // owns `struct stat` in this module's view (see Package.swift, CArchive)

/// What a sandbox entry is, read with `fstatat(AT_SYMLINK_NOFOLLOW)`: a symlink is reported as
/// a symlink, never as what it points to.
public struct SandboxEntry: Sendable, Equatable {
    public enum Kind: String, Sendable {
        case file, directory
        /// Planted by code run in the sandbox; never followed. Only `remove` acts on one (it removes the link).
        case symlink
        /// A FIFO, socket or device node; never opened.
        case other
    }

    /// Relative to the sandbox root (canonical form).
    public var path: SandboxPath
    public var kind: Kind
    /// Bytes, for files; what the file system says for the rest.
    public var size: Int64
    public var modified: Date
    /// Modification time in whole nanoseconds since the epoch (for ETags: `Date` rounds).
    public var modifiedNanoseconds: Int64
    /// With `device`, identifies the file's content version together with size and mtime (ETags).
    public var inode: UInt64
    public var device: UInt64
    /// The name in its directory; `""` for the root.
    public var name: String { path.name ?? "" }

    init(path: SandboxPath, stat st: stat) {
        self.path = path
        switch st.st_mode & S_IFMT {
        case S_IFREG: kind = .file
        case S_IFDIR: kind = .directory
        case S_IFLNK: kind = .symlink
        default: kind = .other
        }
        size = Int64(st.st_size)
        modifiedNanoseconds = Int64(st.st_mtim.tv_sec) * 1_000_000_000 + Int64(st.st_mtim.tv_nsec)
        modified = Date(timeIntervalSince1970: Double(st.st_mtim.tv_sec) + Double(st.st_mtim.tv_nsec) / 1e9)
        inode = UInt64(st.st_ino)
        device = UInt64(st.st_dev)
    }
}
