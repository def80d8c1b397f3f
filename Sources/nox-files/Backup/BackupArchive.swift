import CArchive
import Glibc
import NoxRuntime

/// A user's sandbox as a gzip-compressed tar (pax, restricted: plain ustar headers unless a
/// name or size needs an extension), written with libarchive and read back by `extract` with
/// checks of our own on every entry.
///
/// What goes in: every directory and regular file beneath the sandbox, read through the
/// sandbox's descriptors (`SandboxDirectory.list` and `openFile`, never a path string), so a
/// symlink planted by code run in the sandbox is skipped, never followed, even if it is swapped
/// in between the listing and the open. Symlinks, FIFOs, sockets, devices, in-flight temporary
/// files (`SandboxDirectory.temporaryPrefix`) and names `extract` would refuse (they fail
/// `SandboxPath`, e.g. a control character made by a program) are skipped, so every backup
/// made here can be restored. Modes are normalized (0644 files, 0755 directories: no setuid
/// bits or odd permissions survive a round trip); modification times are kept (to the second:
/// restricted pax adds the fraction only to entries that need a pax header anyway).
public enum BackupArchive {
    /// What `create` wrote.
    public struct Created: Sendable, Equatable {
        /// Bytes of the archive file.
        public var size: Int64
        /// SHA-256 of the archive file, lowercase hex.
        public var sha256: String
        /// Regular files in the archive.
        public var fileCount: Int
        /// Entries left out: symlinks, special files, temporary files, unrestorable names, and
        /// files that vanished or changed type while the archive was written.
        public var skippedCount: Int
    }

    /// Bytes read from a file or the archive at once: bounds memory whatever the file sizes.
    static let chunkSize = 1 << 20

    /// Runs `body` with this thread's character type locale set to C.UTF-8. libarchive converts
    /// names between UTF-8 (pax headers) and the locale's charset, and a daemon runs in the C
    /// locale, where any non-ASCII name fails to convert — and libarchive 3.6 then crashes on the
    /// NULL name when writing. `uselocale` changes this thread only, for this call only.
    static func withUTF8Locale<T, E: Error>(_ body: () throws(E) -> T) throws(E) -> T {
        // glibc has C.UTF-8 built in since 2.35 (Debian 12 has 2.36): this fails only without memory.
        // `1 << LC_CTYPE` is LC_CTYPE_MASK, a macro Swift does not import.
        guard let utf8 = newlocale(1 << LC_CTYPE, "C.UTF-8", nil) else { return try body() }
        let previous = uselocale(utf8)
        defer {
            uselocale(previous)
            freelocale(utf8)
        }
        return try body()
    }

    /// Writes the archive of `sandbox` to `destinationPath`. The data goes to a temporary file
    /// beside it (same directory, so the final rename is atomic), which is synced and renamed
    /// into place only when complete: a crash or an error never leaves a partial archive under
    /// the final name, and the temporary file is removed on failure.
    /// - Parameters:
    ///   - sandbox: the sandbox to archive; it may change meanwhile (each file is read as it
    ///     was when opened).
    ///   - destinationPath: where the archive goes (a server path, trusted); replaced if it exists.
    public static func create(from sandbox: SandboxDirectory, to destinationPath: String) throws(BackupError) -> Created {
        let entries: [SandboxEntry]
        do {
            entries = try sandbox.list(.root, recursive: true)
        } catch {
            throw BackupError(.io, "The sandbox cannot be read.", detail: error.description)
        }
        return try withUTF8Locale { () throws(BackupError) in try writeArchive(entries, of: sandbox, to: destinationPath) }
    }

    private static func writeArchive(_ entries: [SandboxEntry], of sandbox: SandboxDirectory, to destinationPath: String) throws(BackupError)
        -> Created
    {
        let output = try ArchiveOutput(beside: destinationPath)
        do throws(BackupError) {
            let writer = try ArchiveWriter(output: output)
            var fileCount = 0
            var skippedCount = 0
            for entry in entries {
                if try writer.add(entry, from: sandbox) {
                    fileCount += entry.kind == .file ? 1 : 0
                } else {
                    skippedCount += 1
                }
            }
            try writer.finish()
            try output.commit(to: destinationPath)
            return Created(size: output.size, sha256: output.digest.finalizeHex(), fileCount: fileCount, skippedCount: skippedCount)
        } catch {
            output.discard()
            throw error
        }
    }
}

/// The archive file being written: a temporary file beside the destination that every byte
/// libarchive emits goes to, counted and hashed on the way (no second read of a large file;
/// `SHA256Stream` is libcrypto's streaming SHA-256).
final class ArchiveOutput {
    private var fd: Int32
    private let temporaryPath: String
    /// Set once the temporary file has its final name: from then on it is not ours to remove.
    private var isCommitted = false
    let directory: String
    private(set) var size: Int64 = 0
    let digest = SHA256Stream()
    /// The errno of a failed write (libarchive only learns that the callback failed).
    private(set) var writeError: Int32 = 0

    init(beside destinationPath: String) throws(BackupError) {
        let slash = destinationPath.lastIndex(of: "/")
        directory = slash.map { String(destinationPath[..<$0]) } ?? "."
        let name = slash.map { String(destinationPath[destinationPath.index(after: $0)...]) } ?? destinationPath
        while true {
            let candidate = directory + "/." + name + ".tmp-" + String(UInt64.random(in: .min ... .max), radix: 16)
            let fd = open(candidate, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
            if fd >= 0 {
                self.fd = fd
                temporaryPath = candidate
                return
            }
            if errno != EEXIST { throw BackupError(.io, "The backup file cannot be created.", detail: Self.describe(errno, candidate)) }
        }
    }

    deinit { if fd >= 0 { close(fd) } }

    /// libarchive's write callback: all of `bytes`, or -1 (the error is kept in `writeError`).
    func write(_ bytes: UnsafeRawBufferPointer) -> Int {
        var offset = 0
        while offset < bytes.count {
            let written = Glibc.write(fd, bytes.baseAddress! + offset, bytes.count - offset)
            if written < 0 {
                if errno == EINTR { continue }
                writeError = errno
                return -1
            }
            offset += written
        }
        digest.update(bytes)
        size += Int64(bytes.count)
        return bytes.count
    }

    /// Syncs the data, renames the file into place and syncs the directory (so the rename
    /// survives a power loss too).
    func commit(to destinationPath: String) throws(BackupError) {
        while fsync(fd) != 0 {
            if errno != EINTR { throw BackupError(.io, "The backup file cannot be written.", detail: Self.describe(errno, temporaryPath)) }
        }
        close(fd)
        fd = -1
        guard rename(temporaryPath, destinationPath) == 0 else {
            throw BackupError(.io, "The backup file cannot be written.", detail: Self.describe(errno, destinationPath))
        }
        isCommitted = true
        let directoryFD = open(directory.isEmpty ? "/" : directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if directoryFD >= 0 {
            _ = fsync(directoryFD)
            close(directoryFD)
        }
    }

    /// Removes the temporary file (after a failure). A committed file is not touched.
    func discard() {
        if fd >= 0 { close(fd) }
        fd = -1
        if !isCommitted { unlink(temporaryPath) }
    }

    static func describe(_ error: Int32, _ path: String) -> String { "\(path): \(String(cString: strerror(error)))" }
}

/// A libarchive writer of gzip-compressed pax-restricted tar into an `ArchiveOutput`.
private final class ArchiveWriter {
    private let archive: OpaquePointer
    private let output: ArchiveOutput
    private var buffer = [UInt8](repeating: 0, count: BackupArchive.chunkSize)

    init(output: ArchiveOutput) throws(BackupError) {
        guard let archive = archive_write_new() else { throw BackupError(.io, "The backup cannot be written.", detail: "archive_write_new") }
        self.archive = archive
        self.output = output
        // Unpadded output: the default pads the last block with zeros after the gzip trailer.
        guard archive_write_add_filter_gzip(archive) == ARCHIVE_OK, archive_write_set_format_pax_restricted(archive) == ARCHIVE_OK,
            archive_write_set_bytes_in_last_block(archive, 1) == ARCHIVE_OK
        else { throw failure("configuring the writer") }
        let context = Unmanaged.passUnretained(output).toOpaque()
        let status = archive_write_open2(
            archive, context, nil,
            { _, context, bytes, count in
                let output = Unmanaged<ArchiveOutput>.fromOpaque(context!).takeUnretainedValue()
                return output.write(UnsafeRawBufferPointer(start: bytes, count: count))
            }, nil, nil)
        guard status == ARCHIVE_OK else { throw failure("opening the writer") }
    }

    deinit { archive_write_free(archive) }

    /// Adds a directory or a regular file; false if the entry is skipped (see `BackupArchive`).
    func add(_ entry: SandboxEntry, from sandbox: SandboxDirectory) throws(BackupError) -> Bool {
        // Only names extract accepts, so that every backup restores.
        guard (try? SandboxPath(entry.path.string)) != nil else { return false }
        switch entry.kind {
        case .directory:
            try writeHeader(entry.path.string, type: S_IFDIR, permissions: 0o755, size: 0, modifiedNanoseconds: entry.modifiedNanoseconds)
            return true
        case .file where !entry.name.hasPrefix(SandboxDirectory.temporaryPrefix):
            let file: SandboxFile
            do {
                file = try sandbox.openFile(entry.path)
            } catch {
                switch error.code {
                case .notFound, .symlinkRefused, .notRegularFile, .isADirectory, .notADirectory: return false  // changed since listed
                default: throw BackupError(.io, "A file of the sandbox cannot be read.", detail: error.description)
                }
            }
            defer { file.close() }
            // The size is the open file's (fstat), so header and data agree unless it is
            // truncated meanwhile: then libarchive pads the entry with zeros.
            let opened = file.entry
            try writeHeader(entry.path.string, type: S_IFREG, permissions: 0o644, size: opened.size, modifiedNanoseconds: opened.modifiedNanoseconds)
            try copyData(of: file, size: opened.size)
            return true
        default:
            return false
        }
    }

    private func writeHeader(_ name: String, type: mode_t, permissions: mode_t, size: Int64, modifiedNanoseconds: Int64) throws(BackupError) {
        guard let header = archive_entry_new() else { throw BackupError(.io, "The backup cannot be written.", detail: "archive_entry_new") }
        defer { archive_entry_free(header) }
        archive_entry_set_pathname_utf8(header, name)
        archive_entry_set_filetype(header, UInt32(type))
        archive_entry_set_perm(header, permissions)
        archive_entry_set_size(header, size)
        let (seconds, nanoseconds) = modifiedNanoseconds.quotientAndRemainder(dividingBy: 1_000_000_000)
        // A time before 1970 has a negative remainder; libarchive wants 0…999_999_999.
        let (wholeSeconds, fraction) = nanoseconds < 0 ? (seconds - 1, nanoseconds + 1_000_000_000) : (seconds, nanoseconds)
        archive_entry_set_mtime(header, time_t(wholeSeconds), Int(fraction))
        let status = archive_write_header(archive, header)
        guard status == ARCHIVE_OK || status == ARCHIVE_WARN else { throw failure("writing the header of \(name)") }
    }

    /// Streams at most `size` bytes of `file` into the current entry, a chunk at a time.
    private func copyData(of file: SandboxFile, size: Int64) throws(BackupError) {
        var offset: Int64 = 0
        while offset < size {
            let wanted = Int(min(Int64(buffer.count), size - offset))
            let got = buffer.withUnsafeMutableBytes { pread(file.descriptor, $0.baseAddress!, wanted, off_t(offset)) }
            if got < 0 {
                if errno == EINTR { continue }
                throw BackupError(.io, "A file of the sandbox cannot be read.", detail: ArchiveOutput.describe(errno, file.entry.path.string))
            }
            if got == 0 { return }  // truncated since it was opened
            let written = buffer.withUnsafeBytes { archive_write_data(archive, $0.baseAddress!, got) }
            guard written == got else { throw failure("writing the data of \(file.entry.path.string)") }
            offset += Int64(got)
        }
    }

    /// Completes the archive (end-of-archive blocks, the gzip trailer).
    func finish() throws(BackupError) {
        guard archive_write_close(archive) == ARCHIVE_OK else { throw failure("closing the archive") }
    }

    private func failure(_ step: String) -> BackupError {
        if output.writeError == ENOSPC || output.writeError == EDQUOT {
            return BackupError(.io, "There is no space left for the backup.", detail: "\(step): \(String(cString: strerror(output.writeError)))")
        }
        let reason = archive_error_string(archive).map { String(cString: $0) } ?? "unknown error"
        return BackupError(.io, "The backup cannot be written.", detail: "\(step): \(reason)")
    }
}
