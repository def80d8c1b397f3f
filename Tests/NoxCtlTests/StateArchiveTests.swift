import CSQLite
import Foundation
import Testing

@testable import NoxCtl

/// Records what a restore asked of systemd.
final class FakeServices: ServiceControl {
    var calls: [String] = []

    func stopAll() throws -> [String] {
        calls.append("stop")
        return ["nox.target"]
    }

    func start(_ units: [String]) throws {
        calls.append("start \(units.joined(separator: " "))")
    }
}

@Suite(.serialized) struct StateArchiveTests {
    /// Two roots like /var/lib/nox and /etc/nox, with a live WAL database, files, a link.
    struct Fixture {
        let directory: TemporaryDirectory
        let roots: [String]
        let database: SQLiteConnection

        init() throws {
            directory = try TemporaryDirectory()
            roots = [directory.path + "/var/nox", directory.path + "/etc/nox"]
            let fm = FileManager.default
            try fm.createDirectory(atPath: roots[0] + "/auth", withIntermediateDirectories: true)
            try fm.createDirectory(atPath: roots[0] + "/users/alice/sandbox/deep/er", withIntermediateDirectories: true)
            try fm.createDirectory(atPath: roots[1] + "/languages.d", withIntermediateDirectories: true)
            try Data("key material".utf8).write(to: URL(fileURLWithPath: roots[0] + "/auth/signing.key"))
            chmod(roots[0] + "/auth/signing.key", 0o600)
            try Data((0..<300_000).map { UInt8($0 % 251) }).write(to: URL(fileURLWithPath: roots[0] + "/users/alice/sandbox/deep/er/blob ü.bin"))
            try Data("[auth]\n".utf8).write(to: URL(fileURLWithPath: roots[1] + "/nox.toml"))
            symlink("/dev/null", roots[1] + "/languages.d/node.toml")
            // Left open in WAL mode with uncheckpointed writes, as a running daemon leaves it.
            database = try SQLiteConnection(roots[0] + "/auth/auth.sqlite")
            try database.execute("PRAGMA journal_mode=WAL; PRAGMA wal_autocheckpoint=0")
            try database.execute("CREATE TABLE users(name TEXT PRIMARY KEY); INSERT INTO users VALUES ('alice'), ('bob')")
        }

        func archivePath(_ name: String = "backup.tar.gz") -> String { directory.path + "/" + name }
    }

    /// Every path below `root` with its type, mode and content (or link target).
    static func tree(_ root: String) throws -> [String: String] {
        var result: [String: String] = [:]
        let fm = FileManager.default
        for case let relative as String in fm.enumerator(atPath: root)! {
            let path = root + "/" + relative
            var info = stat()
            lstat(path, &info)
            if relative.hasSuffix("-wal") || relative.hasSuffix("-shm") || relative.hasSuffix(".sqlite") { continue }
            let kind = info.st_mode & S_IFMT
            let content: String
            if kind == S_IFLNK {
                content = "link " + (try fm.destinationOfSymbolicLink(atPath: path))
            } else if kind == S_IFREG {
                content = "file \(info.st_mode & 0o7777) " + (fm.contents(atPath: path)?.base64EncodedString() ?? "?")
            } else {
                content = "dir \(info.st_mode & 0o7777)"
            }
            result[relative] = content
        }
        return result
    }

    static func users(_ path: String) throws -> [String] {
        try SQLiteConnection(path).strings("SELECT name FROM users ORDER BY name")
    }

    @Test func backupThenRestoreGivesBackEverythingIncludingALiveDatabase() throws {
        let fixture = try Fixture()
        let archive = fixture.archivePath()
        var backup = StateBackup(roots: fixture.roots)
        backup.hostname = "test-host"
        var lastProgress: (Int64, Int64) = (0, 0)
        let summary = try backup.write(to: archive) { lastProgress = ($0, $1) }
        #expect(summary.databases == 1 && summary.files == 4)
        #expect(lastProgress.0 == lastProgress.1 && lastProgress.1 > 300_000)
        var info = stat()
        stat(archive, &info)
        #expect(info.st_mode & 0o777 == 0o600)

        let before = try fixture.roots.map(Self.tree)
        // Changes after the backup, which the restore must undo.
        try fixture.database.execute("DELETE FROM users WHERE name = 'bob'")
        fixture.database.close()
        try FileManager.default.removeItem(atPath: fixture.roots[0] + "/users")
        try Data("changed".utf8).write(to: URL(fileURLWithPath: fixture.roots[1] + "/nox.toml"))

        let services = FakeServices()
        let reader = StateArchiveReader(path: archive, allowedRoots: fixture.roots)
        let contents = try StateRestore(archive: reader, services: services).run()
        #expect(contents.manifest.hostname == "test-host" && contents.manifest.roots == fixture.roots)
        #expect(services.calls == ["stop", "start nox.target"])
        #expect(try fixture.roots.map(Self.tree) == before)
        #expect(try Self.users(fixture.roots[0] + "/auth/auth.sqlite") == ["alice", "bob"])
        // No staging or old directories are left behind.
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: fixture.directory.path + "/var")
        #expect(leftovers == ["nox"])
    }

    @Test func damagedTruncatedAndForeignArchivesAreRefusedWithNothingChanged() throws {
        let fixture = try Fixture()
        let archive = fixture.archivePath()
        _ = try StateBackup(roots: fixture.roots).write(to: archive)
        fixture.database.close()
        let good = try #require(FileManager.default.contents(atPath: archive))
        let before = try fixture.roots.map(Self.tree)

        var flipped = good
        for index in (good.count / 2)..<(good.count / 2 + 32) { flipped[index] ^= 0x5A }
        let cases: [(String, Data)] = [
            ("flipped", flipped), ("truncated", good.prefix(good.count * 2 / 3)), ("empty", Data()),
            ("text", Data(String(repeating: "hello\n", count: 100).utf8)),
        ]
        for (label, data) in cases {
            let path = fixture.archivePath(label + ".tar.gz")
            try data.write(to: URL(fileURLWithPath: path))
            let services = FakeServices()
            #expect(throws: NoxCtlError.self, "\(label)") {
                try StateRestore(archive: StateArchiveReader(path: path, allowedRoots: fixture.roots), services: services).run()
            }
            #expect(services.calls.isEmpty, "\(label): services were touched")
        }
        // A good archive, but for directories this restore may not write.
        let services = FakeServices()
        #expect {
            try StateRestore(archive: StateArchiveReader(path: archive, allowedRoots: [fixture.roots[0]]), services: services).run()
        } throws: { error in
            (error as? NoxCtlError)?.message.contains("outside") == true && (error as? NoxCtlError)?.exitCode == 2
        }
        #expect(services.calls.isEmpty)
        #expect(try fixture.roots.map(Self.tree) == before)
        #expect(try FileManager.default.contentsOfDirectory(atPath: fixture.directory.path + "/var") == ["nox"])
    }

    @Test func namesOutsideTheRootsAreUnacceptable() {
        let roots = ["/var/lib/nox", "/etc/nox"]
        #expect(StateArchive.isAcceptable("var/lib/nox/auth/x", roots: roots))
        #expect(StateArchive.isAcceptable("etc/nox", roots: roots))
        for bad in ["var/lib/nox/../../../etc/shadow", "/var/lib/nox/x", "var/lib/noxious/x", "etc/passwd", "var/lib/nox//x", "var/lib/nox/./x"] {
            #expect(!StateArchive.isAcceptable(bad, roots: roots), "\(bad)")
        }
        #expect(!StateArchive.isAcceptableRoot("/") && !StateArchive.isAcceptableRoot("/etc") && StateArchive.isAcceptableRoot("/etc/nox"))
    }

    @Test func sqliteSidecarsAreFoldedIntoTheSnapshot() throws {
        let fixture = try Fixture()
        #expect(StateBackup.isSQLiteDatabase(fixture.roots[0] + "/auth/auth.sqlite"))
        #expect(!StateBackup.isSQLiteDatabase(fixture.roots[1] + "/nox.toml"))
        #expect(StateBackup.isSQLiteSidecar("auth.sqlite-wal", siblings: ["auth.sqlite", "auth.sqlite-wal"]))
        #expect(!StateBackup.isSQLiteSidecar("x-wal", siblings: ["x-wal"]))
        fixture.database.close()
    }
}

/// A bare SQLite connection for the fixtures (noxctl itself uses only the backup API).
final class SQLiteConnection {
    private var handle: OpaquePointer?

    init(_ path: String) throws {
        guard sqlite3_open(path, &handle) == SQLITE_OK else { throw NoxCtlError("cannot open \(path)") }
    }

    deinit { close() }

    func close() {
        sqlite3_close(handle)
        handle = nil
    }

    func execute(_ sql: String) throws {
        guard sqlite3_exec(handle, sql, nil, nil, nil) == SQLITE_OK else { throw NoxCtlError(String(cString: sqlite3_errmsg(handle))) }
    }

    func strings(_ sql: String) throws -> [String] {
        var statement: OpaquePointer?
        guard sqlite3_prepare_v2(handle, sql, -1, &statement, nil) == SQLITE_OK else { throw NoxCtlError(String(cString: sqlite3_errmsg(handle))) }
        defer { sqlite3_finalize(statement) }
        var values: [String] = []
        while sqlite3_step(statement) == SQLITE_ROW { values.append(String(cString: sqlite3_column_text(statement, 0))) }
        return values
    }
}
