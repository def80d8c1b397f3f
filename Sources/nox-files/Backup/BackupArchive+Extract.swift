import CArchive
import Glibc

extension BackupArchive {
    /// Bounds on what one archive may put in a sandbox.
    public struct Limits: Sendable {
        /// Total bytes of file content (uncompressed): the user's disk quota.
        public var maximumBytes: Int64
        /// Entries of any kind, directories included.
        public var maximumEntries: Int

        public init(maximumBytes: Int64, maximumEntries: Int = 100_000) {
            self.maximumBytes = maximumBytes
            self.maximumEntries = maximumEntries
        }
    }

    /// What `extract` restored.
    public struct Extracted: Sendable, Equatable {
        /// Regular files written (an entry repeated in the archive counts each time).
        public var fileCount: Int
        /// Bytes of file content written.
        public var bytes: Int64
    }

    /// Unpacks a gzip-compressed tar into `target` — meant to be a fresh, empty directory that
    /// replaces the sandbox only if this succeeds: on any error the archive is refused as a
    /// whole and the caller discards `target` with what was written so far.
    ///
    /// Refused (`invalidArchive`): anything but gzip-compressed tar (a plain tar too: our
    /// backups are always compressed, and the gzip trailer is what catches a truncated upload
    /// that ends on a tar block boundary); a corrupt or truncated stream; more than
    /// `limits.maximumEntries` entries; an entry name that is absolute, has a `..` segment, a
    /// backslash, a control character or otherwise fails `SandboxPath` (a leading `./` is
    /// stripped; `./` itself is skipped); any entry but a regular file or a directory (symlinks,
    /// hard links, devices, FIFOs, sockets); an entry that collides with another of another
    /// type (a file where a directory was, or the reverse). A repeated file: the later one wins,
    /// as with tar. Over `limits.maximumBytes` of content is `quotaExceeded`, counted on the
    /// bytes actually decompressed, not on the sizes the headers claim.
    ///
    /// Files are written through `target.beginWrite` and directories made with
    /// `createDirectory`, which never follow a symlink, so nothing planted in `target` can
    /// redirect a write. Modes are not taken from the archive (the sandbox's defaults apply);
    /// files get their modification times back, directories do not (writing into a directory
    /// changes its time anyway).
    /// - Parameters:
    ///   - path: the archive (a server path, trusted).
    ///   - target: where to unpack.
    ///   - limits: the quota and entry count allowed.
    public static func extract(archiveAt path: String, into target: SandboxDirectory, limits: Limits) throws(BackupError) -> Extracted {
        try withUTF8Locale { () throws(BackupError) in try unpack(archiveAt: path, into: target, limits: limits) }
    }

    private static func unpack(archiveAt path: String, into target: SandboxDirectory, limits: Limits) throws(BackupError) -> Extracted {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw BackupError(.io, "The archive cannot be opened.", detail: ArchiveOutput.describe(errno, path)) }
        defer { close(fd) }
        let reader = try ArchiveReader(fd: fd)
        var extracted = Extracted(fileCount: 0, bytes: 0)
        var entryCount = 0
        while let header = try reader.nextHeader(isFirst: entryCount == 0) {
            entryCount += 1
            guard entryCount <= limits.maximumEntries else {
                throw BackupError(.invalidArchive, "The archive has more than \(limits.maximumEntries) entries.")
            }
            let name = try Self.name(of: header)
            let entryPath = try Self.checkedPath(name)
            try Self.checkType(of: header, name: name)
            if entryPath.isRoot { continue }
            if mode_t(archive_entry_filetype(header)) == Glibc.S_IFDIR {
                do {
                    try target.createDirectory(entryPath)
                } catch {
                    throw Self.targetFailure(error, name: name)
                }
                continue
            }
            if archive_entry_size_is_set(header) != 0, archive_entry_size(header) > limits.maximumBytes - extracted.bytes {
                throw Self.overQuota(limits)
            }
            extracted.bytes += try reader.copyData(to: target, path: entryPath, name: name, limits: limits, alreadyWritten: extracted.bytes)
            extracted.fileCount += 1
            if archive_entry_mtime_is_set(header) != 0 {
                Self.setModified(entryPath, in: target, seconds: archive_entry_mtime(header), nanoseconds: archive_entry_mtime_nsec(header))
            }
        }
        return extracted
    }

    /// The entry's name, which must be valid UTF-8: a pax header's is; a raw ustar name that
    /// libarchive cannot convert is taken as bytes and checked, so that no byte is silently
    /// replaced into a name the archive did not have.
    private static func name(of header: OpaquePointer) throws(BackupError) -> String {
        if let utf8 = archive_entry_pathname_utf8(header), let name = String(validatingCString: utf8) { return name }
        if let raw = archive_entry_pathname(header), let name = String(validatingCString: raw) { return name }
        throw BackupError(.invalidArchive, "The archive has an entry whose name is not valid UTF-8.")
    }

    /// The entry's path in the sandbox; the root for `./`.
    private static func checkedPath(_ name: String) throws(BackupError) -> SandboxPath {
        if name.isEmpty { throw BackupError(.invalidArchive, "The archive has an entry with an empty name.") }
        if name.hasPrefix("/") { throw BackupError.invalidEntry(name, "is an absolute path") }
        if name.split(separator: "/", omittingEmptySubsequences: false).contains("..") {
            throw BackupError.invalidEntry(name, "leaves the sandbox")
        }
        let stripped = name.hasPrefix("./") ? String(name.dropFirst(2)) : name
        do {
            return try SandboxPath(stripped.isEmpty ? "." : stripped)
        } catch {
            let reason = error.message.hasPrefix("Invalid path: ") ? String(error.message.dropFirst(14)) : error.message
            throw BackupError.invalidEntry(name, "has an invalid name (\(lowercasedSentence(reason)))")
        }
    }

    /// Only regular files and directories; a hard link is refused even to a file in the archive
    /// (restoring it would need a second name for one inode, which nothing else here makes).
    private static func checkType(of header: OpaquePointer, name: String) throws(BackupError) {
        if archive_entry_hardlink(header) != nil { throw BackupError.invalidEntry(name, "is a hard link, which a backup cannot contain") }
        if archive_entry_symlink(header) != nil { throw BackupError.invalidEntry(name, "is a symbolic link, which a backup cannot contain") }
        let kind: String
        switch mode_t(archive_entry_filetype(header)) {
        case S_IFREG, S_IFDIR: return
        case S_IFLNK: kind = "a symbolic link"
        case S_IFCHR: kind = "a character device"
        case S_IFBLK: kind = "a block device"
        case S_IFIFO: kind = "a FIFO"
        case S_IFSOCK: kind = "a socket"
        default: kind = "neither a file nor a directory"
        }
        throw BackupError.invalidEntry(name, "is \(kind), which a backup cannot contain")
    }

    static func overQuota(_ limits: Limits) -> BackupError {
        BackupError(.quotaExceeded, "The archive holds more than the disk quota of \(limits.maximumBytes) bytes.")
    }

    /// A sandbox operation on `target` failed for entry `name`: a full disk is over quota, a
    /// system error is ours, anything else (a type collision, a planted link) the archive's.
    static func targetFailure(_ error: SandboxError, name: String) -> BackupError {
        switch error.code {
        case .noSpace: BackupError(.quotaExceeded, "The archive does not fit in the space left.", detail: error.description)
        case .io: BackupError(.io, "The archive cannot be restored.", detail: error.description)
        default: BackupError.invalidEntry(name, "cannot be restored (\(lowercasedSentence(error.message)))")
        }
    }

    /// "The path is a directory." → "the path is a directory", to nest in another sentence.
    private static func lowercasedSentence(_ text: String) -> String {
        let trimmed = text.hasSuffix(".") ? String(text.dropLast()) : text
        return trimmed.prefix(1).lowercased() + trimmed.dropFirst()
    }

    /// Best effort: a file whose time cannot be set is still restored.
    private static func setModified(_ path: SandboxPath, in target: SandboxDirectory, seconds: time_t, nanoseconds: Int) {
        guard let file = try? target.openFile(path) else { return }
        defer { file.close() }
        let time = timespec(tv_sec: seconds, tv_nsec: nanoseconds)
        let times = [time, time]  // access, modification
        _ = futimens(file.descriptor, times)
    }
}

/// A libarchive reader of gzip-compressed tar from a descriptor.
private final class ArchiveReader {
    private let archive: OpaquePointer
    private var buffer = [UInt8](repeating: 0, count: BackupArchive.chunkSize)

    init(fd: Int32) throws(BackupError) {
        guard let archive = archive_read_new() else { throw BackupError(.io, "The archive cannot be read.", detail: "archive_read_new") }
        self.archive = archive
        guard archive_read_support_filter_gzip(archive) == ARCHIVE_OK, archive_read_support_format_tar(archive) == ARCHIVE_OK else {
            throw BackupError(.io, "The archive cannot be read.", detail: Self.reason(archive))
        }
        guard archive_read_open_fd(archive, fd, 64 * 1024) == ARCHIVE_OK else { throw Self.notGzipTar(archive) }
    }

    deinit { archive_read_free(archive) }

    /// The next entry's header, or nil at the end of the archive. The first call also checks
    /// that the stream is gzip (libarchive reads an uncompressed tar without being asked to).
    func nextHeader(isFirst: Bool) throws(BackupError) -> OpaquePointer? {
        var header: OpaquePointer?
        let status = archive_read_next_header(archive, &header)
        if isFirst {
            // Exactly one gzip layer over the raw bytes ("none" counts as a filter).
            guard status != ARCHIVE_FATAL, status != ARCHIVE_FAILED,
                archive_filter_count(archive) == 2, archive_filter_code(archive, 0) == ARCHIVE_FILTER_GZIP
            else { throw Self.notGzipTar(archive) }
        }
        if status == ARCHIVE_EOF { return nil }
        guard status == ARCHIVE_OK || status == ARCHIVE_WARN, let header else { throw Self.corrupt(archive) }
        return header
    }

    /// Streams the current entry's data into a new file at `path`; returns the bytes written.
    /// Stops with `quotaExceeded` as soon as the archive's content passes the quota.
    func copyData(
        to target: SandboxDirectory, path: SandboxPath, name: String, limits: BackupArchive.Limits, alreadyWritten: Int64
    ) throws(BackupError) -> Int64 {
        let write: SandboxWrite
        do {
            write = try target.beginWrite(path)
        } catch {
            throw BackupArchive.targetFailure(error, name: name)
        }
        do throws(BackupError) {
            var total: Int64 = 0
            while true {
                let got = buffer.withUnsafeMutableBytes { archive_read_data(archive, $0.baseAddress!, $0.count) }
                if got < 0 { throw Self.corrupt(archive) }
                if got == 0 { break }
                total += Int64(got)
                if total > limits.maximumBytes - alreadyWritten { throw BackupArchive.overQuota(limits) }
                do {
                    try write.write(buffer[..<got])  // contiguous: no copy
                } catch {
                    throw BackupArchive.targetFailure(error, name: name)
                }
            }
            do {
                _ = try write.commit()
            } catch {
                throw BackupArchive.targetFailure(error, name: name)
            }
            return total
        } catch {
            write.abort()
            throw error
        }
    }

    private static func notGzipTar(_ archive: OpaquePointer) -> BackupError {
        BackupError(.invalidArchive, "The file is not a gzip-compressed tar archive.", detail: reason(archive))
    }

    private static func corrupt(_ archive: OpaquePointer) -> BackupError {
        BackupError(.invalidArchive, "The archive is corrupt or truncated.", detail: reason(archive))
    }

    private static func reason(_ archive: OpaquePointer) -> String {
        archive_error_string(archive).map { String(cString: $0) } ?? "no detail"
    }
}
