import Foundation
import Glibc
import Testing

@testable import NoxFiles

@Suite("SandboxDirectory operations")
struct SandboxDirectoryTests {
    @Test("openat2 is used where the kernel has it (Linux 5.6+)")
    func probesOpenat2() throws {
        let fixture = try SandboxFixture(.openat2)
        let probed = try SandboxDirectory(path: fixture.root)
        #expect(probed.usesOpenat2)
    }

    @Test("a sandbox root that is missing, a file or a symlink cannot be opened")
    func rootMustBeADirectory() throws {
        let fixture = try SandboxFixture(.openat2)
        #expect(errorCode { _ = try SandboxDirectory(path: fixture.root + "/missing") } == .notFound)
        try fixture.put("file", "x")
        #expect(errorCode { _ = try SandboxDirectory(path: fixture.root + "/file") } != nil)
        fixture.symlink("link", to: fixture.victim)
        #expect(errorCode { _ = try SandboxDirectory(path: fixture.root + "/link") } != nil)
    }

    @Test("write creates parents, reads back, reports created then replaced", arguments: resolutions)
    func writeAndRead(_ resolution: SandboxDirectory.Resolution) throws {
        let fixture = try SandboxFixture(resolution)
        let first = try fixture.sandbox.writeFile(path("a/b/c.txt"), contents: Array("hello".utf8))
        #expect(first.created)
        #expect(first.size == 5)
        #expect(first.entry.kind == .file)
        #expect(fixture.content("a/b/c.txt") == "hello")
        let second = try fixture.sandbox.writeFile(path("a/b/c.txt"), contents: Array("bye".utf8))
        #expect(!second.created)
        let file = try fixture.sandbox.openFile(path("a/b/c.txt"))
        #expect(try text(file) == "bye")
        #expect(file.entry.size == 3)
        #expect(try file.read(at: 1, count: 10) == Array("ye".utf8))
        #expect(fixture.temporaryFiles().isEmpty)
    }

    @Test("streaming write in chunks; an empty file is a file", arguments: resolutions)
    func streamingWrite(_ resolution: SandboxDirectory.Resolution) throws {
        let fixture = try SandboxFixture(resolution)
        let write = try fixture.sandbox.beginWrite(path("big.bin"))
        for index in 0..<64 { try write.write([UInt8](repeating: UInt8(index), count: 4096)) }
        #expect(write.bytesWritten == 64 * 4096)
        #expect(!fixture.exists("big.bin"))  // nothing visible before commit
        let result = try write.commit()
        #expect(result.size == 64 * 4096)
        let bytes = try fixture.sandbox.openFile(path("big.bin")).readAll()
        #expect(bytes.count == 64 * 4096)
        #expect(bytes[4096 * 63] == 63)
        try fixture.sandbox.writeFile(path("empty"), contents: [UInt8]())
        #expect(try fixture.sandbox.stat(path("empty")).size == 0)
    }

    @Test("read refuses directories, missing files and FIFOs without blocking", arguments: resolutions)
    func readRefusals(_ resolution: SandboxDirectory.Resolution) throws {
        let fixture = try SandboxFixture(resolution)
        try fixture.mkdir("dir")
        try fixture.put("file", "x")
        #expect(mkfifo(fixture.root + "/fifo", 0o644) == 0)
        #expect(errorCode { _ = try fixture.sandbox.openFile(path("dir")) } == .isADirectory)
        #expect(errorCode { _ = try fixture.sandbox.openFile(.root) } == .isADirectory)
        #expect(errorCode { _ = try fixture.sandbox.openFile(path("missing")) } == .notFound)
        #expect(errorCode { _ = try fixture.sandbox.openFile(path("missing/x")) } == .notFound)
        #expect(errorCode { _ = try fixture.sandbox.openFile(path("file/x")) } == .notADirectory)
        #expect(errorCode { _ = try fixture.sandbox.openFile(path("fifo")) } == .notRegularFile)
        #expect(errorCode { try fixture.sandbox.writeFile(path("fifo"), contents: [UInt8(1)]) } == .notRegularFile)
        #expect(try fixture.sandbox.stat(path("fifo")).kind == .other)
    }

    @Test("stat reports kind, size and mtime; the root is a directory", arguments: resolutions)
    func stat(_ resolution: SandboxDirectory.Resolution) throws {
        let fixture = try SandboxFixture(resolution)
        try fixture.put("d/f.txt", "12345")
        let file = try fixture.sandbox.stat(path("d/f.txt"))
        #expect(file.kind == .file)
        #expect(file.size == 5)
        #expect(file.name == "f.txt")
        #expect(abs(file.modified.timeIntervalSinceNow) < 60)
        #expect(try fixture.sandbox.stat(path("d")).kind == .directory)
        #expect(try fixture.sandbox.stat(.root).kind == .directory)
        #expect(errorCode { _ = try fixture.sandbox.stat(path("nope")) } == .notFound)
    }

    @Test("list: sorted entries, one level or recursive", arguments: resolutions)
    func list(_ resolution: SandboxDirectory.Resolution) throws {
        let fixture = try SandboxFixture(resolution)
        try fixture.put("b.txt", "bb")
        try fixture.put("a/x.txt", "x")
        try fixture.put("a/deep/y.txt", "yy")
        try fixture.mkdir("empty")
        let top = try fixture.sandbox.list(.root)
        #expect(top.map(\.path.string) == ["a", "b.txt", "empty"])
        #expect(top.map(\.kind) == [.directory, .file, .directory])
        #expect(top[1].size == 2)
        #expect(try fixture.sandbox.list(path("/")).count == 3)
        let all = try fixture.sandbox.list(.root, recursive: true)
        #expect(all.map(\.path.string) == ["a", "a/deep", "a/deep/y.txt", "a/x.txt", "b.txt", "empty"])
        #expect(try fixture.sandbox.list(path("a")).map(\.path.string) == ["a/deep", "a/x.txt"])
        #expect(try fixture.sandbox.list(path("empty")).isEmpty)
        #expect(errorCode { _ = try fixture.sandbox.list(path("b.txt")) } == .notADirectory)
        #expect(errorCode { _ = try fixture.sandbox.list(path("missing")) } == .notFound)
    }

    @Test("createDirectory is mkdir -p and refuses a file in the way", arguments: resolutions)
    func createDirectory(_ resolution: SandboxDirectory.Resolution) throws {
        let fixture = try SandboxFixture(resolution)
        #expect(try fixture.sandbox.createDirectory(path("x/y/z")))
        #expect(try !fixture.sandbox.createDirectory(path("x/y/z")))
        #expect(try fixture.sandbox.stat(path("x/y/z")).kind == .directory)
        try fixture.put("file", "f")
        #expect(errorCode { try fixture.sandbox.createDirectory(path("file")) } == .notADirectory)
        #expect(errorCode { try fixture.sandbox.createDirectory(path("file/sub")) } == .notADirectory)
        #expect(errorCode { try fixture.sandbox.writeFile(path("file/sub/new.txt"), contents: [UInt8(1)]) } == .notADirectory)
    }

    @Test("write refuses a directory as target, the root, and a missing parent without createParents", arguments: resolutions)
    func writeRefusals(_ resolution: SandboxDirectory.Resolution) throws {
        let fixture = try SandboxFixture(resolution)
        try fixture.mkdir("dir")
        #expect(errorCode { try fixture.sandbox.writeFile(path("dir"), contents: [UInt8(1)]) } == .isADirectory)
        #expect(errorCode { try fixture.sandbox.writeFile(.root, contents: [UInt8(1)]) } == .isADirectory)
        #expect(errorCode { try fixture.sandbox.writeFile(path("no/such.txt"), contents: [UInt8(1)], createParents: false) } == .notFound)
        #expect(!fixture.exists("no"))
        #expect(fixture.temporaryFiles().isEmpty)
    }

    @Test("remove: files, empty directories, non-empty only when recursive; never the root", arguments: resolutions)
    func remove(_ resolution: SandboxDirectory.Resolution) throws {
        let fixture = try SandboxFixture(resolution)
        try fixture.put("f.txt", "x")
        try fixture.put("full/a/b.txt", "x")
        try fixture.mkdir("empty")
        #expect(try fixture.sandbox.remove(path("f.txt")) == .file)
        #expect(!fixture.exists("f.txt"))
        #expect(try fixture.sandbox.remove(path("empty")) == .directory)
        #expect(errorCode { try fixture.sandbox.remove(path("full")) } == .directoryNotEmpty)
        #expect(fixture.content("full/a/b.txt") == "x")
        #expect(try fixture.sandbox.remove(path("full"), recursive: true) == .directory)
        #expect(!fixture.exists("full"))
        #expect(errorCode { try fixture.sandbox.remove(path("missing")) } == .notFound)
        #expect(errorCode { try fixture.sandbox.remove(.root, recursive: true) } == .invalidPath)
        #expect(fixture.exists(""))
    }

    @Test("recursive remove handles deep trees and names that are not UTF-8", arguments: resolutions)
    func removeOddTrees(_ resolution: SandboxDirectory.Resolution) throws {
        let fixture = try SandboxFixture(resolution)
        var deep = "deep"
        for _ in 0..<50 { deep += "/d" }
        try fixture.put(deep + "/leaf.txt", "x")
        let odd: [CChar] = Array((fixture.root + "/deep/d/").utf8CString.dropLast()) + [CChar(bitPattern: 0xFF), CChar(bitPattern: 0xFE), 0]
        #expect(Glibc.mkdir(odd, 0o755) == 0)
        try fixture.sandbox.remove(path("deep"), recursive: true)
        #expect(!fixture.exists("deep"))
    }

    @Test("move: rename, into another directory, refuse existing unless replace", arguments: resolutions)
    func move(_ resolution: SandboxDirectory.Resolution) throws {
        let fixture = try SandboxFixture(resolution)
        try fixture.put("a.txt", "A")
        try fixture.put("b.txt", "B")
        try fixture.put("dir/c.txt", "C")
        try fixture.sandbox.move(path("a.txt"), to: path("dir/a.txt"))
        #expect(fixture.content("dir/a.txt") == "A")
        #expect(!fixture.exists("a.txt"))
        #expect(errorCode { try fixture.sandbox.move(path("b.txt"), to: path("dir/a.txt")) } == .alreadyExists)
        try fixture.sandbox.move(path("b.txt"), to: path("dir/a.txt"), replace: true)
        #expect(fixture.content("dir/a.txt") == "B")
        #expect(errorCode { try fixture.sandbox.move(path("dir/c.txt"), to: path("new/c.txt")) } == .notFound)
        try fixture.sandbox.move(path("dir/c.txt"), to: path("new/deeper/c.txt"), createParents: true)
        #expect(fixture.content("new/deeper/c.txt") == "C")
        try fixture.sandbox.move(path("dir"), to: path("renamed"))
        #expect(fixture.content("renamed/a.txt") == "B")
        #expect(errorCode { try fixture.sandbox.move(path("missing"), to: path("x")) } == .notFound)
        try fixture.sandbox.move(path("renamed"), to: path("renamed"))  // a no-op
        #expect(errorCode { try fixture.sandbox.move(path("missing"), to: path("missing")) } == .notFound)
    }

    @Test("move refuses a directory into itself, the root, and a file over a directory", arguments: resolutions)
    func moveRefusals(_ resolution: SandboxDirectory.Resolution) throws {
        let fixture = try SandboxFixture(resolution)
        try fixture.put("d/sub/x", "x")
        try fixture.put("f", "f")
        #expect(errorCode { try fixture.sandbox.move(path("d"), to: path("d/sub/d")) } == .invalidMove)
        #expect(errorCode { try fixture.sandbox.move(path("d"), to: path("d/inside")) } == .invalidMove)
        #expect(errorCode { try fixture.sandbox.move(.root, to: path("x")) } == .invalidPath)
        #expect(errorCode { try fixture.sandbox.move(path("f"), to: .root) } == .invalidPath)
        #expect(errorCode { try fixture.sandbox.move(path("f"), to: path("d"), replace: true) } == .isADirectory)
        #expect(errorCode { try fixture.sandbox.move(path("d"), to: path("f"), replace: true) } == .notADirectory)
        #expect(fixture.content("d/sub/x") == "x")
        #expect(fixture.content("f") == "f")
    }
}
