import CDispatch  // where the compiler finds `struct stat` once NoxRuntime is in the graph (MemberImportVisibility)
import Foundation
import Glibc
import NoxRuntime
import NoxTestSupport
import Testing

@testable import NoxFiles

/// A source sandbox (with its victim directory), a restore target and a backups directory,
/// side by side in one temporary directory. The target starts with `keep.txt`, so a refused
/// archive can be shown to have added nothing.
final class BackupFixture {
    let source: SandboxFixture
    let targetPath: String
    let target: SandboxDirectory
    let backups: String
    /// An archive path in `backups`, for tests that need just one.
    let archive: String
    var base: String { source.temporary.path }

    init() throws {
        source = try SandboxFixture(.openat2)
        targetPath = source.temporary.path + "/target"
        backups = source.temporary.path + "/backups"
        archive = backups + "/test.tar.gz"
        try FileManager.default.createDirectory(atPath: targetPath, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: backups, withIntermediateDirectories: true)
        try "kept".write(toFile: targetPath + "/keep.txt", atomically: false, encoding: .utf8)
        target = try SandboxDirectory(path: targetPath)
    }

    @discardableResult
    func extract(_ path: String? = nil, maximumBytes: Int64 = 1 << 30, maximumEntries: Int = 100_000) throws -> BackupArchive.Extracted {
        try BackupArchive.extract(
            archiveAt: path ?? archive, into: target, limits: BackupArchive.Limits(maximumBytes: maximumBytes, maximumEntries: maximumEntries))
    }

    /// Writes `archive` with Python's tarfile (a foreign writer that lets a test say anything).
    /// - Parameter mode: tarfile's mode: `w:gz`, or `w` for a plain tar.
    func pythonTar(_ members: [Member], mode: String = "w:gz", to path: String? = nil) throws {
        let spec = String(decoding: try JSONEncoder().encode(members), as: UTF8.self)
        try run("/usr/bin/python3", ["-c", Self.tarScript, path ?? archive, mode, spec])
    }

    /// One tarfile member: `type` is file, dir, symlink, hardlink, chr, blk or fifo; a file
    /// holds `text`, or `random` random bytes.
    struct Member: Encodable {
        var name: String
        var type = "file"
        var text: String?
        var link: String?
        var random: Int?
    }

    private static let tarScript = """
        import io, json, os, sys, tarfile
        path, mode, spec = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
        types = {"file": tarfile.REGTYPE, "dir": tarfile.DIRTYPE, "symlink": tarfile.SYMTYPE, "hardlink": tarfile.LNKTYPE,
                 "chr": tarfile.CHRTYPE, "blk": tarfile.BLKTYPE, "fifo": tarfile.FIFOTYPE}
        with tarfile.open(path, mode, format=tarfile.PAX_FORMAT) as archive:
            for member in spec:
                info = tarfile.TarInfo(member["name"])
                info.type = types[member["type"]]
                info.linkname = member.get("link") or ""
                data = os.urandom(member["random"]) if member.get("random") else (member.get("text") or "").encode()
                if info.type == tarfile.REGTYPE:
                    info.size = len(data)
                    archive.addfile(info, io.BytesIO(data))
                else:
                    archive.addfile(info)
        """
}

/// Runs a program; returns its standard output, failing the test on a non-zero exit.
@discardableResult
func run(_ executable: String, _ arguments: [String]) throws -> Data {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    let output = Pipe()
    process.standardOutput = output
    try process.run()
    let data = output.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    #expect(process.terminationStatus == 0, "\(executable) \(arguments.prefix(1)) exited \(process.terminationStatus)")
    return data
}

/// Whether two trees hold the same entries and every file the same bytes (the snapshot alone
/// reads a binary file as `<unreadable>`).
func sameTree(_ a: String, _ b: String) -> Bool {
    let entries = SandboxFixture.snapshot(a)
    guard entries == SandboxFixture.snapshot(b) else { return false }
    return entries.keys.allSatisfy { FileManager.default.contents(atPath: a + "/" + $0) == FileManager.default.contents(atPath: b + "/" + $0) }
}

/// The code of the `BackupError` that `body` throws (nil if it does not throw).
func backupErrorCode(_ body: () throws -> Void) -> BackupError.Code? {
    do {
        try body()
        return nil
    } catch let error as BackupError {
        return error.code
    } catch {
        Issue.record("not a BackupError: \(error)")
        return nil
    }
}

@Suite("Backup archives: create and extract")
struct BackupArchiveTests {
    /// Nested directories, an empty directory and file, every byte value, 5 MB, non-ASCII names.
    static func populate(_ source: SandboxFixture) throws {
        try source.put("a/b/c/deep.txt", "deep")
        try source.put("a/empty.txt", "")
        try source.mkdir("empty-dir")
        try source.mkdir("bin")
        try Data((0...255).map { UInt8($0) }).write(to: URL(fileURLWithPath: source.root + "/bin/all-bytes"))
        var generator = SystemRandomNumberGenerator()
        let big = Data((0..<(5 * 1024 * 1024)).map { _ in UInt8.random(in: 0...255, using: &generator) })
        try big.write(to: URL(fileURLWithPath: source.root + "/big.bin"))
        try source.put("ünïcødé/日本語 ファイル.txt", "こんにちは")
        try source.put("emoji 🎉.md", "party")
    }

    @Test("a sandbox round-trips byte for byte, and size and SHA-256 describe the file written")
    func roundTrip() throws {
        let fixture = try BackupFixture()
        try Self.populate(fixture.source)
        let created = try BackupArchive.create(from: fixture.source.sandbox, to: fixture.archive)

        let onDisk = try FileManager.default.attributesOfItem(atPath: fixture.archive)[.size] as? Int
        #expect(created.size == Int64(onDisk ?? -1))
        let sum = String(decoding: try run("/usr/bin/sha256sum", [fixture.archive]), as: UTF8.self)
        #expect(created.sha256 == String(sum.prefix(64)))
        #expect(created.fileCount == 6)
        #expect(try FileManager.default.contentsOfDirectory(atPath: fixture.backups) == ["test.tar.gz"])  // no temporary left

        try FileManager.default.removeItem(atPath: fixture.targetPath + "/keep.txt")
        let extracted = try fixture.extract()
        #expect(extracted.fileCount == 6)
        #expect(extracted.bytes == 4 + 256 + 5 * 1024 * 1024 + Int64("こんにちは".utf8.count) + 5)
        #expect(sameTree(fixture.targetPath, fixture.source.root))
        #expect(SandboxFixture.snapshot(fixture.targetPath)["empty-dir"] == "<dir>")
    }

    @Test("entries are relative, with modes 0644/0755 and the files' modification times")
    func entryFormat() throws {
        let fixture = try BackupFixture()
        try fixture.source.put("dir/file.txt", "x")
        chmod(fixture.source.root + "/dir/file.txt", 0o4777)
        var times = [timespec(tv_sec: 1_000_000_000, tv_nsec: 0), timespec(tv_sec: 1_000_000_000, tv_nsec: 0)]
        #expect(utimensat(AT_FDCWD, fixture.source.root + "/dir/file.txt", &times, 0) == 0)
        _ = try BackupArchive.create(from: fixture.source.sandbox, to: fixture.archive)

        let script = """
            import json, sys, tarfile
            print(json.dumps([[m.name, m.type.decode(), oct(m.mode), int(m.mtime)] for m in tarfile.open(sys.argv[1])]))
            """
        let listing = try JSONSerialization.jsonObject(with: try run("/usr/bin/python3", ["-c", script, fixture.archive])) as? [[Any]]
        let rows = (listing ?? []).map { $0.map { "\($0)" } }
        #expect(rows.map { $0[0] } == ["dir", "dir/file.txt"])
        #expect(rows.map { $0[1] } == ["5", "0"])  // DIRTYPE, REGTYPE
        #expect(rows.map { $0[2] } == ["0o755", "0o644"])
        #expect(rows.last?[3] == "1000000000")

        try fixture.extract()
        var st = stat()
        #expect(stat(fixture.targetPath + "/dir/file.txt", &st) == 0)
        #expect(st.st_mtim.tv_sec == 1_000_000_000)
        #expect(st.st_mode & 0o7777 == 0o644)
    }

    @Test("planted symlinks, FIFOs and temporary files are left out; a link's target never enters the archive")
    func symlinksNotFollowed() throws {
        let fixture = try BackupFixture()
        try fixture.source.put("real.txt", "real")
        fixture.source.symlink("leak.txt", to: fixture.source.victim + "/secret.txt")
        fixture.source.symlink("evil", to: fixture.source.victim)
        #expect(mkfifo(fixture.source.root + "/pipe", 0o644) == 0)
        try fixture.source.put(SandboxDirectory.temporaryPrefix + "0123", "half written")
        try fixture.source.put("bad\u{1}name.txt", "not restorable")

        let created = try BackupArchive.create(from: fixture.source.sandbox, to: fixture.archive)
        #expect(created.fileCount == 1)
        #expect(created.skippedCount == 5)
        let contents = try run("/usr/bin/gzip", ["-dc", fixture.archive])
        #expect(contents.range(of: Data(SandboxFixture.secret.utf8)) == nil)
        #expect(contents.range(of: Data("inner".utf8)) == nil)
        let names = String(decoding: try run("/usr/bin/tar", ["-tzf", fixture.archive]), as: UTF8.self)
        #expect(names == "real.txt\n")
        #expect(fixture.source.victimIsUntouched())
    }

    @Test("an archive made by GNU tar (with ./ prefixes and a ./ entry) restores")
    func foreignArchive() throws {
        let fixture = try BackupFixture()
        try fixture.source.put("dir/a.txt", "a")
        try run("/usr/bin/tar", ["-czf", fixture.archive, "-C", fixture.source.root, "."])
        let extracted = try fixture.extract()
        #expect(extracted == BackupArchive.Extracted(fileCount: 1, bytes: 1))
        #expect(sameTree(fixture.targetPath + "/dir", fixture.source.root + "/dir"))
    }

    @Test("a repeated entry: the later one wins, as with tar")
    func duplicateEntries() throws {
        let fixture = try BackupFixture()
        try fixture.pythonTar([.init(name: "d.txt", text: "one"), .init(name: "d.txt", text: "two")])
        #expect(try fixture.extract().fileCount == 2)
        #expect(try String(contentsOfFile: fixture.targetPath + "/d.txt", encoding: .utf8) == "two")
    }

    /// Archives that must be refused as a whole. Each holds only the hostile part (so that
    /// "nothing was written" can be checked) — the next test covers one after good entries.
    enum Hostile: String, CaseIterable {
        case parent, absolute, nestedParent, backslash, controlCharacter, symlink, hardlinkOutside, hardlinkInside
        case characterDevice, blockDevice, fifo, zip, randomBytes, gzippedGarbage, truncated, plainTar, doubleGzip, empty
    }

    static let absoluteName = "/tmp/nox-evil-\(UUID().uuidString)"

    func write(_ hostile: Hostile, in fixture: BackupFixture) throws {
        typealias Member = BackupFixture.Member
        switch hostile {
        case .parent: try fixture.pythonTar([Member(name: "../evil", text: "pwned")])
        case .absolute: try fixture.pythonTar([Member(name: Self.absoluteName, text: "pwned")])
        case .nestedParent: try fixture.pythonTar([Member(name: "a/../../evil", text: "pwned")])
        case .backslash: try fixture.pythonTar([Member(name: "..\\evil", text: "pwned")])
        case .controlCharacter: try fixture.pythonTar([Member(name: "evil\u{7}.txt", text: "pwned")])
        case .symlink: try fixture.pythonTar([Member(name: "link", type: "symlink", link: fixture.source.victim + "/secret.txt")])
        case .hardlinkOutside: try fixture.pythonTar([Member(name: "hard", type: "hardlink", link: fixture.source.victim + "/secret.txt")])
        case .hardlinkInside: try fixture.pythonTar([Member(name: "hard", type: "hardlink", link: "ok.txt"), Member(name: "ok.txt", text: "ok")])
        case .characterDevice: try fixture.pythonTar([Member(name: "null", type: "chr")])
        case .blockDevice: try fixture.pythonTar([Member(name: "disk", type: "blk")])
        case .fifo: try fixture.pythonTar([Member(name: "pipe", type: "fifo")])
        case .zip:
            let script = "import sys, zipfile\nwith zipfile.ZipFile(sys.argv[1], 'w') as z: z.writestr('a.txt', 'zip')"
            try run("/usr/bin/python3", ["-c", script, fixture.archive])
        case .randomBytes:
            try Data((0..<4096).map { _ in UInt8.random(in: 0...255) }).write(to: URL(fileURLWithPath: fixture.archive))
        case .gzippedGarbage:
            let script = "import gzip, os, sys\nopen(sys.argv[1], 'wb').write(gzip.compress(os.urandom(4096)))"
            try run("/usr/bin/python3", ["-c", script, fixture.archive])
        case .truncated:
            try fixture.pythonTar([Member(name: "big.bin", random: 256 * 1024)])
            let whole = try Data(contentsOf: URL(fileURLWithPath: fixture.archive))
            try whole.prefix(whole.count / 2).write(to: URL(fileURLWithPath: fixture.archive))
        case .plainTar: try fixture.pythonTar([Member(name: "plain.txt", text: "plain")], mode: "w")
        case .doubleGzip:
            try fixture.pythonTar([Member(name: "inner.txt", text: "inner")])
            try run("/usr/bin/gzip", ["-f", fixture.archive])
            try FileManager.default.moveItem(atPath: fixture.archive + ".gz", toPath: fixture.archive)
        case .empty: try Data().write(to: URL(fileURLWithPath: fixture.archive))
        }
    }

    @Test("hostile or malformed archives are refused with invalid_archive and write nothing", arguments: Hostile.allCases)
    func hostile(_ hostile: Hostile) throws {
        let fixture = try BackupFixture()
        try write(hostile, in: fixture)
        let before = SandboxFixture.snapshot(fixture.targetPath)
        var thrown: BackupError?
        do {
            _ = try fixture.extract()
        } catch let error as BackupError {
            thrown = error
        }
        #expect(thrown?.code == .invalidArchive, "\(hostile): \(String(describing: thrown))")
        #expect(thrown?.httpStatus == 422)
        #expect(thrown?.apiCode == "invalid_archive")
        #expect(thrown?.message.contains(fixture.base) == false, "the message names a server path")
        #expect(SandboxFixture.snapshot(fixture.targetPath) == before)
        #expect(!FileManager.default.fileExists(atPath: fixture.base + "/evil"))
        #expect(!FileManager.default.fileExists(atPath: Self.absoluteName))
        #expect(fixture.source.victimIsUntouched())
        if hostile == .parent { #expect(thrown?.message == "The archive entry \"../evil\" leaves the sandbox.") }
        if hostile == .backslash { #expect(thrown?.message == "The archive entry \"..\\evil\" has an invalid name (the path contains a backslash).") }
    }

    @Test("a hostile entry after good ones still refuses the whole archive")
    func hostileAfterGoodEntries() throws {
        let fixture = try BackupFixture()
        try fixture.pythonTar([.init(name: "fine.txt", text: "fine"), .init(name: "link", type: "symlink", link: "/etc/passwd")])
        #expect(backupErrorCode { _ = try fixture.extract() } == .invalidArchive)
        #expect(SandboxFixture.snapshot(fixture.targetPath)["link"] == nil)
    }

    @Test("content over the quota is quota_exceeded, whether one file or several add up")
    func overQuota() throws {
        let fixture = try BackupFixture()
        try fixture.pythonTar((1...3).map { .init(name: "f\($0).bin", random: 4000) })
        #expect(backupErrorCode { _ = try fixture.extract(maximumBytes: 10_000) } == .quotaExceeded)
        #expect(SandboxFixture.snapshot(fixture.targetPath)["f3.bin"] == nil)
        #expect(backupErrorCode { _ = try fixture.extract(maximumBytes: 3999) } == .quotaExceeded)
        #expect(try fixture.extract(maximumBytes: 12_000).bytes == 12_000)
    }

    @Test("more entries than allowed is invalid_archive")
    func tooManyEntries() throws {
        let fixture = try BackupFixture()
        try fixture.pythonTar((1...5).map { .init(name: "f\($0)") })
        #expect(backupErrorCode { _ = try fixture.extract(maximumEntries: 4) } == .invalidArchive)
        #expect(try fixture.extract(maximumEntries: 5).fileCount == 5)
    }

    @Test("symlinks planted in the target are not written through")
    func plantedTargetSymlinks() throws {
        let fixture = try BackupFixture()
        let outside = fixture.base + "/outside"
        try FileManager.default.createDirectory(atPath: outside, withIntermediateDirectories: true)
        try "outside".write(toFile: outside + "/file.txt", atomically: false, encoding: .utf8)
        #expect(symlink(outside, fixture.targetPath + "/sub") == 0)
        #expect(symlink(outside + "/file.txt", fixture.targetPath + "/file.txt") == 0)

        try fixture.pythonTar([.init(name: "sub", type: "dir"), .init(name: "sub/x.txt", text: "pwned")])
        #expect(backupErrorCode { _ = try fixture.extract() } == .invalidArchive)
        try fixture.pythonTar([.init(name: "sub/x.txt", text: "pwned")])
        #expect(backupErrorCode { _ = try fixture.extract() } == .invalidArchive)
        try fixture.pythonTar([.init(name: "file.txt", text: "pwned")])
        #expect(backupErrorCode { _ = try fixture.extract() } == .invalidArchive)
        #expect(SandboxFixture.snapshot(outside).keys.sorted() == ["file.txt"])
        #expect(try String(contentsOfFile: outside + "/file.txt", encoding: .utf8) == "outside")
    }

    @Test("a failed create leaves neither the archive nor its temporary file")
    func failedCreateCleansUp() throws {
        let fixture = try BackupFixture()
        try fixture.source.put("a.txt", "a")
        try FileManager.default.createDirectory(atPath: fixture.archive, withIntermediateDirectories: false)  // rename onto a directory fails
        #expect(backupErrorCode { _ = try BackupArchive.create(from: fixture.source.sandbox, to: fixture.archive) } == .io)
        #expect(try FileManager.default.contentsOfDirectory(atPath: fixture.backups) == ["test.tar.gz"])
        #expect(SandboxFixture.snapshot(fixture.archive).isEmpty)
    }
}
