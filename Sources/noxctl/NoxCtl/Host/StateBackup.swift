import CArchive
import CSQLite
import Glibc

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// Writes a `StateArchive` of `roots`. SQLite databases (found by their header, whatever
/// their name, so a new daemon's store is covered) are copied with SQLite's online backup API
/// into a snapshot first, so each is consistent while its daemon keeps running; their `-wal`,
/// `-shm` and `-journal` files are left out (folded into the snapshot). Everything else is
/// copied as it is, with owner (by name and number), mode and modification time.
public struct StateBackup {
    public var roots: [String]
    public var hostname: String = POSIX.hostname()

    public init(roots: [String] = StateArchive.defaultRoots) {
        self.roots = roots
    }

    public struct Summary: Sendable {
        public var files = 0
        public var directories = 0
        public var databases = 0
        public var bytes: Int64 = 0
        public var archiveSize: Int64 = 0
    }

    /// One thing to archive.
    struct Item {
        var path: String
        var name: String
        var info: stat
        var isDatabase: Bool
    }

    /// Writes the archive to `destination` (through a temporary file renamed when complete;
    /// mode 0600: it holds password hashes and signing keys).
    /// - Parameter progress: bytes of file data archived so far, and the total.
    public func write(to destination: String, progress: (Int64, Int64) -> Void = { _, _ in }) throws -> Summary {
        StateArchive.useUTF8Names()
        let existing = roots.filter { access($0, F_OK) == 0 }
        guard !existing.isEmpty else { throw NoxCtlError("nothing to back up: none of \(roots.joined(separator: ", ")) exists") }
        var items: [Item] = []
        for root in existing { try walk(root, name: StateArchive.archivePrefix(root), into: &items) }
        let total = items.reduce(Int64(0)) { $0 + (($1.info.st_mode & S_IFMT) == S_IFREG ? Int64($1.info.st_size) : 0) }

        let scratch = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        let temporary = destination + ".part-\(getpid())"
        let writer = try ArchiveFileWriter(path: temporary)
        var summary = Summary()
        var done: Int64 = 0
        do {
            let manifest = StateArchive.Manifest(
                format: StateArchive.format, version: StateArchive.version, createdAt: Formatting.rfc3339(Date()), hostname: hostname,
                roots: existing, creator: "noxctl \(NoxCtlVersion.version)")
            try writer.addMetadata(StateArchive.manifestName, try jsonData(manifest))
            var sums: [String: String] = [:]
            for item in items {
                switch item.info.st_mode & S_IFMT {
                case S_IFDIR:
                    try writer.addHeader(item.name, info: item.info, size: 0)
                    summary.directories += 1
                case S_IFLNK:
                    try writer.addSymlink(item.name, info: item.info, target: try linkTarget(item.path))
                case S_IFREG:
                    var source = item.path
                    if item.isDatabase {
                        source = scratch + "/db-\(summary.databases)"
                        try snapshot(item.path, to: source)
                        summary.databases += 1
                    }
                    let before = done
                    sums[item.name] = try writer.addFile(item.name, info: item.info, from: source) { written in
                        done = before + min(written, Int64(item.info.st_size))
                        progress(done, total)
                    }
                    done = before + Int64(item.info.st_size)
                    summary.files += 1
                    summary.bytes += Int64(item.info.st_size)
                default:
                    continue
                }
            }
            try writer.addMetadata(StateArchive.sumsName, try jsonData(StateArchive.Sums(entries: items.count, files: sums)))
            try writer.close()
            guard rename(temporary, destination) == 0 else { throw NoxCtlError("cannot write \(destination): \(String(cString: strerror(errno)))") }
        } catch {
            unlink(temporary)
            throw error
        }
        var info = stat()
        if stat(destination, &info) == 0 { summary.archiveSize = Int64(info.st_size) }
        progress(total, total)
        return summary
    }

    /// Every directory, regular file and symlink below `path` (itself first), sorted by name;
    /// symlinks are archived as links, never followed. Sockets and FIFOs are skipped.
    func walk(_ path: String, name: String, into items: inout [Item]) throws {
        var info = stat()
        guard lstat(path, &info) == 0 else {
            if errno == ENOENT { return }  // vanished meanwhile (a temporary file)
            throw NoxCtlError("cannot read \(path): \(String(cString: strerror(errno)))")
        }
        let type = info.st_mode & S_IFMT
        guard type == S_IFDIR || type == S_IFREG || type == S_IFLNK else { return }
        items.append(Item(path: path, name: name, info: info, isDatabase: type == S_IFREG && Self.isSQLiteDatabase(path)))
        guard type == S_IFDIR else { return }
        guard let dir = opendir(path) else { throw NoxCtlError("cannot read \(path): \(String(cString: strerror(errno)))") }
        var names: [String] = []
        while let entry = readdir(dir) {
            let entryName = withUnsafeBytes(of: entry.pointee.d_name) { String(cString: $0.bindMemory(to: CChar.self).baseAddress!) }
            if entryName != "." && entryName != ".." { names.append(entryName) }
        }
        closedir(dir)
        let nameSet = Set(names)
        for child in names.sorted() {
            if Self.isSQLiteSidecar(child, siblings: nameSet), Self.isSQLiteDatabase(path + "/" + Self.sidecarBase(child)) { continue }
            try walk(path + "/" + child, name: name + "/" + child, into: &items)
        }
    }

    static let sidecarSuffixes = ["-wal", "-shm", "-journal"]

    static func sidecarBase(_ name: String) -> String {
        for suffix in sidecarSuffixes where name.hasSuffix(suffix) { return String(name.dropLast(suffix.count)) }
        return name
    }

    static func isSQLiteSidecar(_ name: String, siblings: Set<String>) -> Bool {
        sidecarSuffixes.contains { name.hasSuffix($0) } && siblings.contains(sidecarBase(name))
    }

    /// A file starting with SQLite's 16-byte header string.
    static func isSQLiteDatabase(_ path: String) -> Bool {
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var header = [UInt8](repeating: 0, count: 16)
        guard read(fd, &header, 16) == 16 else { return false }
        return header == Array("SQLite format 3\0".utf8)
    }

    /// SQLite's online backup of the database at `path` into a new file: a consistent copy of
    /// the last committed state (WAL included) while the daemon goes on writing.
    func snapshot(_ path: String, to destination: String) throws {
        var source: OpaquePointer?
        var target: OpaquePointer?
        defer {
            sqlite3_close(source)
            sqlite3_close(target)
        }
        func failure(_ db: OpaquePointer?) -> NoxCtlError {
            NoxCtlError("cannot snapshot the database \(path): \(db.map { String(cString: sqlite3_errmsg($0)) } ?? "out of memory")")
        }
        guard sqlite3_open_v2(path, &source, SQLITE_OPEN_READONLY, nil) == SQLITE_OK else { throw failure(source) }
        sqlite3_busy_timeout(source, 30_000)
        guard sqlite3_open_v2(destination, &target, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nil) == SQLITE_OK else { throw failure(target) }
        guard let backup = sqlite3_backup_init(target, "main", source, "main") else { throw failure(target) }
        var status: Int32
        var waited = 0
        repeat {
            status = sqlite3_backup_step(backup, -1)
            if status == SQLITE_BUSY || status == SQLITE_LOCKED {
                waited += 1
                if waited > 300 { break }
                POSIX.sleep(seconds: 0.1)
            }
        } while status == SQLITE_OK || status == SQLITE_BUSY || status == SQLITE_LOCKED
        sqlite3_backup_finish(backup)
        guard status == SQLITE_DONE, sqlite3_errcode(target) == SQLITE_OK else { throw failure(target) }
    }

    private func linkTarget(_ path: String) throws -> String {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let length = readlink(path, &buffer, buffer.count - 1)
        guard length >= 0 else { throw NoxCtlError("cannot read the link \(path): \(String(cString: strerror(errno)))") }
        return String(decoding: buffer[0..<length].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    private func temporaryDirectory() throws -> String {
        var template = Array((ProcessInfo.processInfo.environment["TMPDIR"] ?? "/var/tmp") + "/noxctl-backup-XXXXXX").map {
            CChar(bitPattern: $0.asciiValue ?? 0x58)
        }
        template.append(0)
        guard mkdtemp(&template) != nil else { throw NoxCtlError("cannot create a temporary directory: \(String(cString: strerror(errno)))") }
        return String(decoding: template.dropLast().map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    private func jsonData<T: Encodable>(_ value: T) throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        do { return Array(try encoder.encode(value)) } catch { throw NoxCtlError("cannot encode \(T.self): \(error)") }
    }
}

/// A gzip-compressed pax tar being written to a file with libarchive.
final class ArchiveFileWriter {
    private let archive: OpaquePointer
    private let path: String
    private var closed = false

    init(path: String) throws {
        self.path = path
        guard let archive = archive_write_new() else { throw NoxCtlError("libarchive could not start an archive") }
        self.archive = archive
        // Created 0600 before libarchive opens it: the archive holds secrets.
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw NoxCtlError("cannot write \(path): \(String(cString: strerror(errno)))") }
        Glibc.close(fd)
        guard archive_write_add_filter_gzip(archive) == ARCHIVE_OK, archive_write_set_format_pax_restricted(archive) == ARCHIVE_OK,
            archive_write_open_filename(archive, path) == ARCHIVE_OK
        else { throw failure("opening") }
    }

    deinit {
        if !closed { archive_write_close(archive) }
        archive_write_free(archive)
    }

    private func failure(_ what: String) -> NoxCtlError {
        NoxCtlError("cannot write \(path) (\(what)): \(archive_error_string(archive).map { String(cString: $0) } ?? "unknown error")")
    }

    private func entry(_ name: String, info: stat?, type: mode_t, size: Int64) -> OpaquePointer {
        let header = archive_entry_new()!
        archive_entry_set_pathname_utf8(header, name)
        archive_entry_set_filetype(header, UInt32(type))
        archive_entry_set_size(header, size)
        if let info {
            archive_entry_set_perm(header, info.st_mode & 0o7777)
            archive_entry_set_uid(header, Int64(info.st_uid))
            archive_entry_set_gid(header, Int64(info.st_gid))
            if let user = getpwuid(info.st_uid) { archive_entry_copy_uname(header, user.pointee.pw_name) }
            if let group = getgrgid(info.st_gid) { archive_entry_copy_gname(header, group.pointee.gr_name) }
            archive_entry_set_mtime(header, info.st_mtim.tv_sec, info.st_mtim.tv_nsec)
        } else {
            archive_entry_set_perm(header, 0o600)
            archive_entry_set_mtime(header, time(nil), 0)
        }
        return header
    }

    /// A directory (size 0) header.
    func addHeader(_ name: String, info: stat, size: Int64) throws {
        let header = entry(name, info: info, type: S_IFDIR, size: 0)
        defer { archive_entry_free(header) }
        guard archive_write_header(archive, header) == ARCHIVE_OK else { throw failure(name) }
    }

    func addSymlink(_ name: String, info: stat, target: String) throws {
        let header = entry(name, info: info, type: S_IFLNK, size: 0)
        defer { archive_entry_free(header) }
        archive_entry_set_symlink_utf8(header, target)
        guard archive_write_header(archive, header) == ARCHIVE_OK else { throw failure(name) }
    }

    /// One of our own JSON entries.
    func addMetadata(_ name: String, _ bytes: [UInt8]) throws {
        let header = entry(name, info: nil, type: S_IFREG, size: Int64(bytes.count))
        defer { archive_entry_free(header) }
        guard archive_write_header(archive, header) == ARCHIVE_OK else { throw failure(name) }
        let written = bytes.withUnsafeBytes { archive_write_data(archive, $0.baseAddress, $0.count) }
        guard written == bytes.count else { throw failure(name) }
    }

    /// A regular file read from `source` (its size as it is now), with `info`'s metadata;
    /// returns the SHA-256 of what was written.
    func addFile(_ name: String, info: stat, from source: String, progress: (Int64) -> Void) throws -> String {
        let fd = open(source, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)
        guard fd >= 0 else { throw NoxCtlError("cannot read \(source): \(String(cString: strerror(errno)))") }
        defer { Glibc.close(fd) }
        var current = stat()
        fstat(fd, &current)
        // The size written in the header is what is read now: a file that grows or shrinks
        // meanwhile is cut or padded (libarchive pads with zeros) to it, never corrupting the archive.
        let size = Int64(current.st_size)
        let header = entry(name, info: info, type: S_IFREG, size: size)
        defer { archive_entry_free(header) }
        guard archive_write_header(archive, header) == ARCHIVE_OK else { throw failure(name) }
        let hasher = SHA256Hasher()
        var buffer = [UInt8](repeating: 0, count: 1 << 20)
        var remaining = size
        var written: Int64 = 0
        while remaining > 0 {
            let got = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, min($0.count, Int(remaining))) }
            if got < 0 && errno == EINTR { continue }
            guard got >= 0 else { throw NoxCtlError("cannot read \(source): \(String(cString: strerror(errno)))") }
            if got == 0 {
                // Shrunk while being read: pad to the announced size so the hash matches the archive.
                let padding = [UInt8](repeating: 0, count: Int(min(remaining, Int64(buffer.count))))
                try padding.withUnsafeBytes { (bytes) throws in
                    hasher.update(bytes)
                    guard archive_write_data(archive, bytes.baseAddress, bytes.count) == bytes.count else { throw failure(name) }
                }
                remaining -= Int64(padding.count)
                continue
            }
            try buffer.withUnsafeBytes { (all) throws in
                let bytes = UnsafeRawBufferPointer(rebasing: all[0..<got])
                hasher.update(bytes)
                guard archive_write_data(archive, bytes.baseAddress, bytes.count) == bytes.count else { throw failure(name) }
            }
            remaining -= Int64(got)
            written += Int64(got)
            progress(written)
        }
        return hasher.finish()
    }

    func close() throws {
        closed = true
        guard archive_write_close(archive) == ARCHIVE_OK else { throw failure("closing") }
    }
}
