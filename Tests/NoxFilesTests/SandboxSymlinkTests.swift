import Foundation
import Glibc
import Testing

@testable import NoxFiles

/// Symlinks planted by code run in the sandbox: at the leaf and at an intermediate component,
/// pointing outside (the victim) or inside. Every operation refuses, and the victim is untouched.
@Suite("Planted symlinks")
struct SandboxSymlinkTests {
    /// A sandbox with `real/file.txt`, and links `leak.txt` → victim's secret file,
    /// `evil` → the victim directory, `inner` → `real` (inside, absolute) and `relative` → `real`.
    static func planted(_ resolution: SandboxDirectory.Resolution) throws -> SandboxFixture {
        let fixture = try SandboxFixture(resolution)
        try fixture.put("real/file.txt", "real")
        fixture.symlink("leak.txt", to: fixture.victim + "/secret.txt")
        fixture.symlink("evil", to: fixture.victim)
        fixture.symlink("real/up", to: "../../victim")
        fixture.symlink("inner", to: fixture.root + "/real")
        fixture.symlink("relative", to: "real")
        fixture.symlink("inner.txt", to: "real/file.txt")
        return fixture
    }

    @Test("read refuses a symlink at the leaf or on the way, outside or inside", arguments: resolutions)
    func read(_ resolution: SandboxDirectory.Resolution) throws {
        let fixture = try Self.planted(resolution)
        for raw in ["leak.txt", "evil/secret.txt", "evil/vdir/inner.txt", "real/up/secret.txt", "inner/file.txt", "relative/file.txt", "inner.txt"] {
            #expect(errorCode { _ = try fixture.sandbox.openFile(path(raw)) } == .symlinkRefused, "\(raw)")
        }
        #expect(try text(fixture.sandbox.openFile(path("real/file.txt"))) == "real")
        #expect(fixture.victimIsUntouched())
    }

    @Test("stat reports a leaf symlink as a symlink and refuses one on the way", arguments: resolutions)
    func stat(_ resolution: SandboxDirectory.Resolution) throws {
        let fixture = try Self.planted(resolution)
        let link = try fixture.sandbox.stat(path("leak.txt"))
        #expect(link.kind == .symlink)
        #expect(link.size == Int64((fixture.victim + "/secret.txt").utf8.count))  // the link's own length, not the target's
        #expect(errorCode { _ = try fixture.sandbox.stat(path("evil/secret.txt")) } == .symlinkRefused)
        #expect(errorCode { _ = try fixture.sandbox.stat(path("inner/file.txt")) } == .symlinkRefused)
    }

    @Test("write refuses through a symlink and leaves the link and its target alone", arguments: resolutions)
    func write(_ resolution: SandboxDirectory.Resolution) throws {
        let fixture = try Self.planted(resolution)
        for raw in ["leak.txt", "evil/secret.txt", "evil/new.txt", "evil/deeper/new.txt", "real/up/new.txt", "inner/file.txt", "inner.txt"] {
            #expect(errorCode { try fixture.sandbox.writeFile(path(raw), contents: Array("pwned".utf8)) } == .symlinkRefused, "\(raw)")
            #expect(errorCode { _ = try fixture.sandbox.beginWrite(path(raw), createParents: false) } == .symlinkRefused, "\(raw)")
        }
        #expect(fixture.content("real/file.txt") == "real")
        #expect(fixture.temporaryFiles().isEmpty)
        #expect(fixture.victimIsUntouched())
    }

    @Test("list refuses a symlinked directory; listings show links without following them", arguments: resolutions)
    func list(_ resolution: SandboxDirectory.Resolution) throws {
        let fixture = try Self.planted(resolution)
        for raw in ["evil", "evil/vdir", "real/up", "inner", "relative"] {
            #expect(errorCode { _ = try fixture.sandbox.list(path(raw)) } == .symlinkRefused, "\(raw)")
        }
        let all = try fixture.sandbox.list(.root, recursive: true)
        #expect(!all.contains { $0.name == "secret.txt" || $0.name == "vdir" })
        let kinds = Dictionary(uniqueKeysWithValues: all.map { ($0.path.string, $0.kind) })
        #expect(
            kinds == [
                "evil": .symlink, "inner": .symlink, "inner.txt": .symlink, "leak.txt": .symlink, "relative": .symlink,
                "real": .directory, "real/file.txt": .file, "real/up": .symlink,
            ])
    }

    @Test("createDirectory refuses a symlink as the directory or on the way", arguments: resolutions)
    func mkdir(_ resolution: SandboxDirectory.Resolution) throws {
        let fixture = try Self.planted(resolution)
        for raw in ["evil", "evil/newdir", "evil/vdir/sub", "real/up/x", "inner", "inner/sub", "leak.txt"] {
            #expect(errorCode { try fixture.sandbox.createDirectory(path(raw)) } == .symlinkRefused, "\(raw)")
        }
        #expect(fixture.victimIsUntouched())
    }

    @Test("remove refuses a symlink on the way; removing a symlink removes the link, not its target", arguments: resolutions)
    func remove(_ resolution: SandboxDirectory.Resolution) throws {
        let fixture = try Self.planted(resolution)
        for raw in ["evil/secret.txt", "evil/vdir", "real/up/secret.txt", "inner/file.txt"] {
            #expect(errorCode { try fixture.sandbox.remove(path(raw), recursive: true) } == .symlinkRefused, "\(raw)")
        }
        #expect(try fixture.sandbox.remove(path("leak.txt")) == .file)
        #expect(try fixture.sandbox.remove(path("evil"), recursive: true) == .file)
        #expect(try fixture.sandbox.remove(path("inner")) == .file)
        #expect(!fixture.exists("leak.txt") && !fixture.exists("evil") && !fixture.exists("inner"))
        #expect(fixture.content("real/file.txt") == "real")
        #expect(fixture.victimIsUntouched())
    }

    @Test("recursive remove of a tree with symlinks inside deletes the links, not their targets", arguments: resolutions)
    func recursiveRemove(_ resolution: SandboxDirectory.Resolution) throws {
        let fixture = try Self.planted(resolution)
        try fixture.put("tree/a.txt", "a")
        try fixture.put("tree/sub/b.txt", "b")
        fixture.symlink("tree/sub/dirlink", to: fixture.victim)
        fixture.symlink("tree/sub/filelink", to: fixture.victim + "/secret.txt")
        fixture.symlink("tree/insidelink", to: fixture.root + "/real")
        #expect(try fixture.sandbox.remove(path("tree"), recursive: true) == .directory)
        #expect(!fixture.exists("tree"))
        #expect(fixture.content("real/file.txt") == "real")
        #expect(fixture.victimIsUntouched())
    }

    @Test("move refuses a symlink as source, as destination and on either path", arguments: resolutions)
    func move(_ resolution: SandboxDirectory.Resolution) throws {
        let fixture = try Self.planted(resolution)
        try fixture.put("mine.txt", "mine")
        let cases: [(String, String, Bool)] = [
            ("evil/secret.txt", "stolen.txt", false), ("evil/vdir", "stolen", false), ("real/up/secret.txt", "stolen.txt", false),
            ("mine.txt", "evil/mine.txt", false), ("mine.txt", "evil/vdir/mine.txt", false), ("mine.txt", "inner/mine.txt", false),
            ("leak.txt", "moved.txt", false), ("evil", "moved", false), ("mine.txt", "leak.txt", true), ("mine.txt", "evil", true),
        ]
        for (from, to, replace) in cases {
            #expect(errorCode { try fixture.sandbox.move(path(from), to: path(to), replace: replace) } == .symlinkRefused, "\(from) → \(to)")
        }
        #expect(errorCode { try fixture.sandbox.move(path("mine.txt"), to: path("evil/new/x"), createParents: true) } == .symlinkRefused)
        #expect(fixture.content("mine.txt") == "mine")
        #expect(!fixture.exists("stolen.txt") && !fixture.exists("stolen") && !fixture.exists("moved.txt"))
        #expect(fixture.victimIsUntouched())
    }
}
