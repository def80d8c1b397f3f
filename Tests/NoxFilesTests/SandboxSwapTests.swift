import CDispatch  // where the compiler finds `struct stat` once NoxRuntime is in the graph (MemberImportVisibility)
import Foundation
import Glibc
import NoxTestSupport
import Testing

@testable import NoxFiles

@Suite("Sandbox swap and tree removal")
struct SandboxSwapTests {
    @Test("exchange swaps two directories' contents in one step")
    func exchange() throws {
        let temporary = try TemporaryDirectory()
        defer { temporary.remove() }
        let sandbox = temporary.path + "/sandbox"
        let restore = try SandboxSwap.makeFreshDirectory(in: temporary.path)
        #expect(restore.hasPrefix(temporary.path + "/restore-"))
        #expect(SandboxFixture.snapshot(restore).isEmpty)
        try FileManager.default.createDirectory(atPath: sandbox, withIntermediateDirectories: false)
        chmod(sandbox, 0o2751)
        let alike = try SandboxSwap.makeFreshDirectory(in: temporary.path, like: sandbox)
        var st = stat()
        #expect(stat(alike, &st) == 0 && st.st_mode & 0o7777 == 0o2751)
        #expect(alike != restore)
        try FileManager.default.createDirectory(atPath: sandbox + "/old-dir", withIntermediateDirectories: false)
        try "old".write(toFile: sandbox + "/old.txt", atomically: false, encoding: .utf8)
        try "new".write(toFile: restore + "/new.txt", atomically: false, encoding: .utf8)

        try SandboxSwap.exchange(restore, sandbox)
        #expect(SandboxFixture.snapshot(sandbox).keys.sorted() == ["new.txt"])
        #expect(SandboxFixture.snapshot(restore).keys.sorted() == ["old-dir", "old.txt"])
    }

    @Test("exchange needs both paths to exist")
    func exchangeMissing() throws {
        let temporary = try TemporaryDirectory()
        defer { temporary.remove() }
        try FileManager.default.createDirectory(atPath: temporary.path + "/a", withIntermediateDirectories: true)
        #expect(backupErrorCode { try SandboxSwap.exchange(temporary.path + "/a", temporary.path + "/missing") } == .io)
        #expect(SandboxFixture.snapshot(temporary.path).keys.sorted() == ["a"])
    }

    @Test("removeTree unlinks symlinks inside, never following them, and tolerates a missing path")
    func removeTree() throws {
        let temporary = try TemporaryDirectory()
        defer { temporary.remove() }
        let old = temporary.path + "/old"
        let outside = temporary.path + "/outside"
        try FileManager.default.createDirectory(atPath: old + "/deep/er", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: outside + "/sub", withIntermediateDirectories: true)
        try "precious".write(toFile: outside + "/sub/precious.txt", atomically: false, encoding: .utf8)
        try "x".write(toFile: old + "/deep/er/file.txt", atomically: false, encoding: .utf8)
        #expect(symlink(outside, old + "/link") == 0)
        #expect(symlink(outside + "/sub", old + "/deep/er/link") == 0)
        #expect(symlink(outside + "/sub/precious.txt", old + "/file-link") == 0)
        let before = SandboxFixture.snapshot(outside)

        try SandboxSwap.removeTree(at: old)
        #expect(!FileManager.default.fileExists(atPath: old))
        #expect(SandboxFixture.snapshot(outside) == before)
        #expect(before.count == 2)

        try SandboxSwap.removeTree(at: old)  // already gone: fine
    }

    @Test("removeTree of a symlink removes the link, not its target")
    func removeTreeOfLink() throws {
        let temporary = try TemporaryDirectory()
        defer { temporary.remove() }
        let outside = temporary.path + "/outside"
        try FileManager.default.createDirectory(atPath: outside, withIntermediateDirectories: true)
        try "precious".write(toFile: outside + "/precious.txt", atomically: false, encoding: .utf8)
        #expect(symlink(outside, temporary.path + "/old") == 0)
        try SandboxSwap.removeTree(at: temporary.path + "/old")
        #expect(SandboxFixture.snapshot(temporary.path).keys.sorted() == ["outside", "outside/precious.txt"])
    }
}
