import CNoxFiles
import Glibc
import CArchive  // owns `struct stat` in this module's view (see Package.swift, CArchive)

/// Thin, EINTR-safe wrappers over the *at(2) calls the sandbox is built on. Every one takes a
/// directory descriptor and a single name (or a path checked by `SandboxPath`), never a path
/// that the kernel could resolve through a symlink.
enum Sys {
    static let oPath = nox_O_PATH
    static let oTmpFile = nox_O_TMPFILE
    static let resolveFlags = nox_RESOLVE_BENEATH | nox_RESOLVE_NO_SYMLINKS | nox_RESOLVE_NO_MAGICLINKS
    static let atEmptyPath = nox_AT_EMPTY_PATH
    static let renameNoReplace = nox_RENAME_NOREPLACE

    /// `renameat2(2)`; 0 or -1 with errno.
    static func renameat2(_ fromDirectory: Int32, _ from: String, _ toDirectory: Int32, _ to: String, flags: UInt32) -> Int32 {
        nox_renameat2(fromDirectory, from, toDirectory, to, flags)
    }

    /// `openat2(dirfd, path, {flags, mode, RESOLVE_BENEATH|RESOLVE_NO_SYMLINKS|RESOLVE_NO_MAGICLINKS})`.
    /// Returns the descriptor or `-errno`. EAGAIN (a concurrent rename under the dirfd) is retried.
    static func openat2(_ dirfd: Int32, _ path: String, flags: Int32, mode: mode_t = 0) -> Int32 {
        var attempts = 0
        while true {
            let fd = nox_openat2(dirfd, path, UInt64(UInt32(bitPattern: flags)), UInt64(mode), resolveFlags)
            if fd >= 0 { return fd }
            let error = errno
            if error == EINTR || (error == EAGAIN && attempts < 64) {
                attempts += 1
                continue
            }
            return -error
        }
    }

    /// `openat(dirfd, name, flags)`; returns the descriptor or `-errno`.
    static func openat(_ dirfd: Int32, _ name: String, flags: Int32, mode: mode_t = 0) -> Int32 {
        while true {
            let fd = Glibc.openat(dirfd, name, flags, mode)
            if fd >= 0 { return fd }
            if errno != EINTR { return -errno }
        }
    }

    static func openat(_ dirfd: Int32, _ name: [CChar], flags: Int32, mode: mode_t = 0) -> Int32 {
        while true {
            let fd = Glibc.openat(dirfd, name, flags, mode)
            if fd >= 0 { return fd }
            if errno != EINTR { return -errno }
        }
    }

    /// `fstatat(dirfd, name, AT_SYMLINK_NOFOLLOW)`, or `fstat(dirfd)` for a nil name.
    static func lstat(_ dirfd: Int32, _ name: String?) -> Result<stat, Errno> {
        var st = stat()
        let result: Int32
        if let name { result = fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) } else { result = fstat(dirfd, &st) }
        return result == 0 ? .success(st) : .failure(Errno(errno))
    }

    static func lstat(_ dirfd: Int32, _ name: [CChar]) -> Result<stat, Errno> {
        var st = stat()
        return fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 ? .success(st) : .failure(Errno(errno))
    }

    /// The names in a directory (not `.` and `..`), as raw bytes: code run in the sandbox can
    /// create names that are not UTF-8, and those must still be removable.
    static func readDirectory(_ dirfd: Int32) -> Result<[[CChar]], Errno> {
        let copy = dup(dirfd)
        guard copy >= 0 else { return .failure(Errno(errno)) }
        guard let stream = fdopendir(copy) else {
            let error = errno
            close(copy)
            return .failure(Errno(error))
        }
        defer { closedir(stream) }
        rewinddir(stream)  // the duplicate shares the offset with `dirfd`
        var names: [[CChar]] = []
        while true {
            errno = 0
            guard let entry = readdir(stream) else {
                if errno != 0 { return .failure(Errno(errno)) }
                break
            }
            let name: [CChar] = withUnsafeBytes(of: &entry.pointee.d_name) { raw in
                let bytes = raw.bindMemory(to: CChar.self)
                let length = bytes.firstIndex(of: 0) ?? bytes.count
                return Array(bytes[..<length]) + [0]
            }
            if name == [46, 0] || name == [46, 46, 0] { continue }  // "." and ".."
            names.append(name)
        }
        return .success(names)
    }

    /// Writes all of `buffer`, retrying short writes and EINTR; returns 0 or an errno.
    static func writeAll(_ fd: Int32, _ buffer: UnsafeRawBufferPointer) -> Int32 {
        var offset = 0
        while offset < buffer.count {
            let written = write(fd, buffer.baseAddress! + offset, buffer.count - offset)
            if written < 0 {
                if errno == EINTR { continue }
                return errno
            }
            offset += written
        }
        return 0
    }

    static func fsync(_ fd: Int32) -> Int32 {
        while Glibc.fsync(fd) != 0 {
            if errno != EINTR { return errno }
        }
        return 0
    }

    static func randomTemporaryName() -> String {
        let value = UInt64.random(in: .min ... .max)
        let hex = String(value, radix: 16)
        return SandboxDirectory.temporaryPrefix + String(repeating: "0", count: 16 - hex.count) + hex
    }
}

/// An errno value, for `Result`.
struct Errno: Error {
    let value: Int32
    init(_ value: Int32) { self.value = value }
}

extension String {
    /// A name read from the disk; not-UTF-8 bytes become U+FFFD.
    init(nameBytes: [CChar]) {
        self = nameBytes.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
    }
}
