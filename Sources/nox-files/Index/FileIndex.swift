import Foundation
public import GRDB
import NoxRuntime

/// The full-text search index of one user's sandbox: an SQLite database (GRDB `DatabasePool`,
/// WAL) with an FTS5 table over (path, name, content) and a sidecar table `files` of
/// (path, size, mtime_ns, inode, is_text) for every regular file of the sandbox.
///
/// The database lives wherever the daemon puts it — in its own state, never inside the sandbox
/// (code run there could otherwise rewrite it). It holds only derived data: if it is lost or
/// corrupt, delete it and the next `sync` rebuilds it.
///
/// What is indexed: every regular file's name (always) and its content when the content is
/// text — valid UTF-8 with no NUL byte in its first 8 KiB — and at most
/// `Options.maximumContentBytes` long (1 MiB by default). Binary and oversized files keep a row
/// (`is_text = 0`, empty content), so their names stay searchable. Directories, symlinks, FIFOs
/// and the like are not indexed; symlinks are never followed (the sandbox layer refuses them,
/// even when one is swapped in between the listing and the open), so a link planted to
/// `/etc/shadow` or another user's sandbox never puts its target's content in the index.
/// In-flight temporary files (`SandboxDirectory.temporaryPrefix`) are skipped.
///
/// ## Keeping current: rescan on demand, not inotify
/// Files change in two ways: through the files API (the daemon calls `update(path:in:)` and
/// `remove(path:)` right after its own writes) and by code run in the sandbox by nox-exec, in
/// another process under another uid. For the latter the daemon calls `sync(with:)` before a
/// search (and may after an execution ends). We chose this over inotify because:
/// - inotify watches one directory each, not a tree: a sandbox with many directories costs one
///   watch per directory, counted against `fs.inotify.max_user_watches` for the daemon's uid
///   across *all* users' sandboxes, and new directories must be added racily as they appear;
/// - the queue overflows (`IN_Q_OVERFLOW`) under a run that writes many files, after which a
///   full rescan is needed anyway — so the rescan must exist and be correct regardless;
/// - events arrive only while the daemon runs: nox-files is socket-activated and may be
///   stopped while executions write, so a startup rescan would be needed too;
/// - a rescan is cheap: one recursive listing (`getdents` + `fstatat` per entry, through
///   descriptors) compared with the sidecar's (size, mtime_ns, inode); only files whose triple
///   changed are opened and read. Inode is included because an atomic replacement
///   (temp file + rename) may keep size and, with coarse timestamps, mtime.
/// A file changed with its size, mtime and inode all preserved (`touch -r` after an in-place
/// write of the same length) is not re-read; that is the accepted cost of the cheap check.
///
/// Thread safety: share one instance per database. `sync`, `update` and `remove` are
/// serialized by a lock (two concurrent rescans would only duplicate work); `search` reads
/// concurrently from the pool's readers.
public final class FileIndex: Sendable {
    public struct Options: Sendable {
        /// Files larger than this are indexed by name only.
        public var maximumContentBytes: Int64
        /// The longest snippet of a content hit, in characters.
        public var snippetCharacters: Int
        /// Tests count the files actually opened and read.
        var onRead: (@Sendable (SandboxPath) -> Void)?

        public init(maximumContentBytes: Int64 = 1 << 20, snippetCharacters: Int = 200) {
            self.maximumContentBytes = maximumContentBytes
            self.snippetCharacters = snippetCharacters
        }
    }

    /// How many leading bytes are checked for a NUL (as git and grep do).
    public static let binaryProbeBytes = 8 * 1024
    /// Files read and written per write transaction during a sync (bounds memory: at most this
    /// many files' contents are held at once).
    static let batchSize = 128

    public let pool: DatabasePool
    public let options: Options
    private let writeLock = NSLock()

    /// Opens (creating if needed) the index database at `path` and migrates it.
    public init(path: String, options: Options = Options()) throws {
        pool = try NoxDatabase.openPool(at: path, migrator: Self.migrator)
        self.options = options
    }

    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1") { db in
            // `id` is also the FTS rowid of the file's row in `file_text`.
            try db.execute(
                sql: """
                    CREATE TABLE files (
                        id INTEGER PRIMARY KEY,
                        path TEXT NOT NULL UNIQUE,
                        size INTEGER NOT NULL,
                        mtime_ns INTEGER NOT NULL,
                        inode INTEGER NOT NULL,
                        is_text INTEGER NOT NULL
                    );
                    CREATE VIRTUAL TABLE file_text USING fts5(
                        path UNINDEXED, name, content,
                        tokenize = 'unicode61 remove_diacritics 0',
                        prefix = '2 3'
                    );
                    """)
        }
        return migrator
    }

    // MARK: - Keeping current

    /// What `sync` did (for logs and tests).
    public struct SyncSummary: Sendable, Equatable {
        /// Files opened and (re)indexed because they were new or their (size, mtime, inode) changed.
        public var indexed = 0
        /// Files dropped because they are gone (or no longer regular files, or unreadable).
        public var removed = 0
        /// Files left alone because nothing changed.
        public var unchanged = 0
    }

    /// Brings the index in line with the sandbox (or the part of it under `directory`): walks it
    /// (never following symlinks), re-indexes files whose (size, mtime, inode) changed, drops
    /// files that are gone. Throws only if `directory` itself cannot be listed or the database fails;
    /// a file that vanishes or turns into a symlink mid-scan is simply left out.
    @discardableResult
    public func sync(with sandbox: SandboxDirectory, under directory: SandboxPath = .root) throws -> SyncSummary {
        try writeLock.withLock {
            let listed: [SandboxEntry]
            do {
                listed = try sandbox.list(directory, recursive: true).filter { Self.isIndexable($0) }
            } catch let error as SandboxError where error.code == .notFound || error.code == .notADirectory || error.code == .symlinkRefused {
                listed = []
            }
            let stored = try pool.read { db in
                try Self.storedRows(db, under: directory)
            }
            var summary = SyncSummary()
            var changed: [SandboxEntry] = []
            var present = Set<String>()
            for entry in listed {
                let key = entry.path.string
                present.insert(key)
                if let row = stored[key], row == StoredFile(entry) {
                    summary.unchanged += 1
                } else {
                    changed.append(entry)
                }
            }
            let gone = stored.keys.filter { !present.contains($0) }
            if !gone.isEmpty {
                try pool.write { db in
                    for path in gone { try Self.delete(db, path: path) }
                }
                summary.removed += gone.count
            }
            var start = 0
            while start < changed.count {
                let batch = changed[start..<min(start + Self.batchSize, changed.count)]
                start += batch.count
                let documents = batch.map { read($0.path, from: sandbox) }
                try pool.write { db in
                    for (entry, document) in zip(batch, documents) {
                        if let document {
                            try Self.store(db, document)
                        } else {
                            try Self.delete(db, path: entry.path.string)
                        }
                    }
                }
                for (entry, document) in zip(batch, documents) {
                    if document != nil {
                        summary.indexed += 1
                    } else if stored[entry.path.string] != nil {
                        summary.removed += 1
                    }
                }
            }
            return summary
        }
    }

    /// After the files API wrote `path`: re-reads it if it is a file, re-syncs beneath it if it is
    /// a directory (an upload into a folder, a moved folder), drops it if it is gone or is not a
    /// regular file.
    public func update(path: SandboxPath, in sandbox: SandboxDirectory) throws {
        let entry = try? sandbox.stat(path)
        switch entry?.kind {
        case .directory:
            try sync(with: sandbox, under: path)
        case .file? where Self.isIndexable(entry!):
            try writeLock.withLock {
                let document = read(path, from: sandbox)
                try pool.write { db in
                    if let document {
                        try Self.store(db, document)
                    } else {
                        try Self.delete(db, path: path.string)
                    }
                }
            }
        default:
            try remove(path: path)
        }
    }

    /// After the files API deleted (or moved away) `path`: drops it and everything beneath it.
    public func remove(path: SandboxPath) throws {
        try writeLock.withLock {
            try pool.write { db in
                if path.isRoot {
                    try db.execute(sql: "DELETE FROM files")
                    try db.execute(sql: "DELETE FROM file_text")
                    return
                }
                try Self.delete(db, path: path.string)
                let (low, high) = Self.prefixRange(path)!
                let ids = try Int64.fetchAll(db, sql: "SELECT id FROM files WHERE path >= ? AND path < ?", arguments: [low, high])
                for id in ids {
                    try db.execute(sql: "DELETE FROM file_text WHERE rowid = ?", arguments: [id])
                    try db.execute(sql: "DELETE FROM files WHERE id = ?", arguments: [id])
                }
            }
        }
    }

    /// How many files are indexed, and how many of them with their content (for tests and metrics).
    public func counts() throws -> (files: Int, text: Int) {
        try pool.read { db in
            let files = try Int.fetchOne(db, sql: "SELECT count(*) FROM files") ?? 0
            let text = try Int.fetchOne(db, sql: "SELECT count(*) FROM files WHERE is_text = 1") ?? 0
            return (files, text)
        }
    }

    // MARK: - Internals

    static func isIndexable(_ entry: SandboxEntry) -> Bool {
        entry.kind == .file && !(entry.name.hasPrefix(SandboxDirectory.temporaryPrefix))
    }

    /// The sidecar's view of a file: what tells whether it changed.
    struct StoredFile: Equatable {
        var size: Int64
        var mtimeNanoseconds: Int64
        var inode: Int64

        init(size: Int64, mtimeNanoseconds: Int64, inode: Int64) {
            self.size = size
            self.mtimeNanoseconds = mtimeNanoseconds
            self.inode = inode
        }

        init(_ entry: SandboxEntry) {
            self.init(size: entry.size, mtimeNanoseconds: entry.modifiedNanoseconds, inode: Int64(bitPattern: entry.inode))
        }
    }

    /// One file as read for indexing.
    struct Document {
        var entry: SandboxEntry
        /// nil for binary or oversized files (indexed by name only).
        var text: String?
    }

    private static func storedRows(_ db: Database, under directory: SandboxPath) throws -> [String: StoredFile] {
        let rows: RowCursor
        if directory.isRoot {
            rows = try Row.fetchCursor(db, sql: "SELECT path, size, mtime_ns, inode FROM files")
        } else {
            let (low, high) = prefixRange(directory)!
            rows = try Row.fetchCursor(
                db, sql: "SELECT path, size, mtime_ns, inode FROM files WHERE path = ? OR (path >= ? AND path < ?)",
                arguments: [directory.string, low, high])
        }
        var result: [String: StoredFile] = [:]
        while let row = try rows.next() {
            result[row[0]] = StoredFile(size: row[1], mtimeNanoseconds: row[2], inode: row[3])
        }
        return result
    }

    /// Opens and reads `path` through the sandbox (no symlink followed); nil if it is gone, is
    /// not a regular file (any more), or cannot be read. The stored metadata is the `fstat` of
    /// the descriptor actually read, so a change after this read shows up at the next sync.
    private func read(_ path: SandboxPath, from sandbox: SandboxDirectory) -> Document? {
        guard let file = try? sandbox.openFile(path) else { return nil }
        defer { file.close() }
        options.onRead?(path)
        let entry = file.entry
        guard entry.size <= options.maximumContentBytes else { return Document(entry: entry, text: nil) }
        guard let bytes = try? file.read(at: 0, count: Int(entry.size)) else { return nil }
        return Document(entry: entry, text: Self.text(bytes))
    }

    /// The bytes as text, or nil if they look binary: a NUL in the first 8 KiB, or not valid UTF-8.
    static func text(_ bytes: [UInt8]) -> String? {
        if bytes.prefix(binaryProbeBytes).contains(0) { return nil }
        return String(validating: bytes, as: UTF8.self)
    }

    private static func store(_ db: Database, _ document: Document) throws {
        let path = document.entry.path.string
        let stored = StoredFile(document.entry)
        try db.execute(
            sql: """
                INSERT INTO files (path, size, mtime_ns, inode, is_text) VALUES (?, ?, ?, ?, ?)
                ON CONFLICT(path) DO UPDATE SET size = excluded.size, mtime_ns = excluded.mtime_ns,
                    inode = excluded.inode, is_text = excluded.is_text
                """,
            arguments: [path, stored.size, stored.mtimeNanoseconds, stored.inode, document.text != nil])
        guard let id = try Int64.fetchOne(db, sql: "SELECT id FROM files WHERE path = ?", arguments: [path]) else { return }
        try db.execute(sql: "DELETE FROM file_text WHERE rowid = ?", arguments: [id])
        try db.execute(
            sql: "INSERT INTO file_text (rowid, path, name, content) VALUES (?, ?, ?, ?)",
            arguments: [id, path, document.entry.name, document.text ?? ""])
    }

    private static func delete(_ db: Database, path: String) throws {
        guard let id = try Int64.fetchOne(db, sql: "SELECT id FROM files WHERE path = ?", arguments: [path]) else { return }
        try db.execute(sql: "DELETE FROM file_text WHERE rowid = ?", arguments: [id])
        try db.execute(sql: "DELETE FROM files WHERE id = ?", arguments: [id])
    }
}
