import Foundation
import Glibc
import Testing

@testable import NoxFiles

/// Races against code in the sandbox that swaps a directory for a symlink between the API's
/// checks and its use, and against readers during writes.
@Suite("Races", .serialized)
struct SandboxRaceTests {
    static let renameExchange: UInt32 = 2  // RENAME_EXCHANGE

    /// Keeps exchanging `sandbox/dir` (a real directory) and `sandbox/swap` (a symlink to the
    /// victim) atomically, so `dir` is a directory one moment and a symlink to the victim the next.
    static func swapper(_ fixture: SandboxFixture, _ name: String) -> BackgroundLoop {
        let dir = fixture.root + "/" + name
        let swap = fixture.root + "/" + name + ".swap"
        #expect(Glibc.symlink(fixture.victim, swap) == 0)
        return BackgroundLoop {
            _ = Sys.renameat2(AT_FDCWD, dir, AT_FDCWD, swap, flags: renameExchange)
        }
    }

    @Test(
        "an intermediate directory swapped for a symlink to the victim: no read, write, list, mkdir or delete reaches the victim",
        arguments: resolutions)
    func swappedIntermediate(_ resolution: SandboxDirectory.Resolution) throws {
        let fixture = try SandboxFixture(resolution)
        try fixture.put("dir/secret.txt", "sandbox copy")
        try fixture.put("dir/vdir/inner.txt", "sandbox inner")
        let loop = Self.swapper(fixture, "dir")
        var outcomes: [String: Int] = [:]
        let refused: [SandboxError.Code] = [.symlinkRefused, .notFound, .notADirectory]
        for round in 0..<1500 {
            if fixture.exists("moved.txt") { try? fixture.sandbox.move(path("moved.txt"), to: path("dir/secret.txt")) }
            let read = outcome(refused) {
                let content = try text(fixture.sandbox.openFile(path("dir/secret.txt")))
                #expect(content == "sandbox copy")
            }
            outcomes["read \(read)", default: 0] += 1
            _ = outcome(refused) {
                let names = try fixture.sandbox.list(path("dir"), recursive: true).map(\.name)
                #expect(!names.contains("victim-only.txt"))
            }
            _ = outcome(refused) {
                try fixture.sandbox.writeFile(path("dir/written-\(round % 7).txt"), contents: Array("w".utf8), createParents: round % 2 == 0)
            }
            _ = outcome(refused) { try fixture.sandbox.createDirectory(path("dir/made-\(round % 5)/x")) }
            _ = outcome(refused) {
                try fixture.sandbox.remove(path("dir/vdir/inner.txt"))
                try fixture.sandbox.writeFile(path("dir/vdir/inner.txt"), contents: Array("sandbox inner".utf8), createParents: false)
            }
            _ = outcome(refused) {
                try fixture.sandbox.move(path("dir/secret.txt"), to: path("moved.txt"))
                try fixture.sandbox.move(path("moved.txt"), to: path("dir/secret.txt"))
            }
            if !fixture.victimIsUntouched() {
                Issue.record("the victim changed in round \(round)")
                break
            }
        }
        loop.stopAndJoin()
        #expect(fixture.victimIsUntouched())
        #expect(fixture.temporaryFiles().isEmpty)
        // Both sides of the race were exercised.
        #expect(outcomes["read ok", default: 0] > 0, "\(outcomes)")
        #expect(outcomes["read symlink_refused", default: 0] > 0, "\(outcomes)")
    }

    @Test("recursive delete while a subdirectory is swapped for a symlink to the victim deletes only sandbox entries", arguments: resolutions)
    func swappedDuringRecursiveDelete(_ resolution: SandboxDirectory.Resolution) throws {
        for _ in 0..<100 {
            let fixture = try SandboxFixture(resolution)
            for index in 0..<5 { try fixture.put("tree/sub/file-\(index)", "x") }
            try fixture.put("tree/sub/secret.txt", "sandbox copy")
            try fixture.put("tree/sub/vdir/inner.txt", "sandbox inner")
            let loop = Self.swapper(fixture, "tree/sub")
            let result = Result { () throws(SandboxError) -> SandboxDirectory.Removed in try fixture.sandbox.remove(path("tree"), recursive: true) }
            loop.stopAndJoin()
            if case .failure(let error) = result { #expect(error.code != .io, "\(error)") }
            #expect(fixture.victimIsUntouched())
        }
    }

    @Test(
        "recursive delete: a directory swapped for a symlink to the victim just before it is entered is unlinked, not followed",
        arguments: resolutions)
    func swappedBeforeDescending(_ resolution: SandboxDirectory.Resolution) throws {
        // At the worst moment — `sub` was seen as a non-empty directory and is about to be
        // opened — `sub` becomes a symlink to the victim (the real directory moves aside).
        let fixture = try SandboxFixture(resolution) { root, victim, name in
            guard name == "sub", Glibc.rename(root + "/tree/sub", root + "/aside") == 0 else { return }
            _ = Glibc.symlink(victim, root + "/tree/sub")
        }
        try fixture.put("tree/sub/a.txt", "a")
        try fixture.put("tree/sub/vdir/inner.txt", "sandbox inner")
        try fixture.put("tree/other.txt", "o")
        #expect(try fixture.sandbox.remove(path("tree"), recursive: true) == .directory)
        #expect(!fixture.exists("tree"))
        #expect(fixture.content("aside/a.txt") == "a")  // moved out of the tree before it was entered
        #expect(fixture.victimIsUntouched())
    }

    @Test("a concurrent reader never sees a partial file during atomic writes", arguments: [true, false])
    func atomicWrite(_ unnamedTemporaryFiles: Bool) throws {
        let fixture = try SandboxFixture(.openat2, unnamedTemporaryFiles: unnamedTemporaryFiles)
        let size = 1 << 20
        let a = [UInt8](repeating: UInt8(ascii: "a"), count: size)
        let b = [UInt8](repeating: UInt8(ascii: "b"), count: size)
        try fixture.sandbox.writeFile(path("data/file.bin"), contents: a)
        let sandbox = fixture.sandbox
        let counts = ReadCounts()
        let loop = BackgroundLoop {
            do {
                let bytes = try sandbox.openFile(path("data/file.bin")).readAll()
                let uniform =
                    bytes.count == size
                    && bytes.withUnsafeBytes { read in
                        (bytes[0] == UInt8(ascii: "a") ? a : b).withUnsafeBytes { memcmp(read.baseAddress!, $0.baseAddress!, size) == 0 }
                    }
                counts.record(uniform: uniform, sawB: bytes.first == UInt8(ascii: "b"))
            } catch {
                counts.record(uniform: false, sawB: false)
            }
        }
        // At least 60 replacements, and on until the reader has read 30 times and seen a
        // replacement (it may be slow to start, or keep landing on the same content).
        var round = 0
        while round < 60 || ((counts.reads < 30 || !counts.sawB) && round < 5000) {
            try fixture.sandbox.writeFile(path("data/file.bin"), contents: round % 2 == 0 ? b : a)
            round += 1
        }
        loop.stopAndJoin()
        #expect(counts.bad == 0, "\(counts.bad) partial or failed reads of \(counts.good + counts.bad)")
        #expect(counts.good >= 30, "only \(counts.good) reads")
        #expect(counts.sawB, "the reader never saw a replacement")
        #expect(fixture.temporaryFiles().isEmpty)
    }

    @Test("a failed write leaves no temporary file and the old content", arguments: [true, false])
    func failedWritesLeaveNothing(_ unnamedTemporaryFiles: Bool) throws {
        let fixture = try SandboxFixture(.openat2, unnamedTemporaryFiles: unnamedTemporaryFiles)
        try fixture.put("file", "old")
        try fixture.put("dir/keep.txt", "old")
        // The parent is a file.
        #expect(errorCode { try fixture.sandbox.writeFile(path("file/child"), contents: Array("new".utf8)) } == .notADirectory)
        // Aborted after some data.
        let aborted = try fixture.sandbox.beginWrite(path("dir/keep.txt"))
        try aborted.write(Array("partial".utf8))
        aborted.abort()
        aborted.abort()
        #expect(errorCode { try aborted.write(Array("more".utf8)) } == .io)
        // Released without commit.
        do {
            let dropped = try fixture.sandbox.beginWrite(path("dir/keep.txt"))
            try dropped.write(Array("dropped".utf8))
        }
        // The target became a directory before the commit.
        let raced = try fixture.sandbox.beginWrite(path("dir/became-dir"))
        try raced.write(Array("x".utf8))
        try fixture.mkdir("dir/became-dir/child")
        #expect(errorCode { _ = try raced.commit() } == .isADirectory)
        // The target became a symlink to the victim before the commit.
        let linked = try fixture.sandbox.beginWrite(path("dir/became-link"))
        try linked.write(Array("x".utf8))
        fixture.symlink("dir/became-link", to: fixture.victim + "/secret.txt")
        #expect(errorCode { _ = try linked.commit() } == .symlinkRefused)

        #expect(fixture.content("file") == "old")
        #expect(fixture.content("dir/keep.txt") == "old")
        #expect(fixture.temporaryFiles().isEmpty)
        #expect(fixture.victimIsUntouched())
        // And a successful write with the same settings leaves none either.
        try fixture.sandbox.writeFile(path("dir/keep.txt"), contents: Array("new".utf8))
        #expect(fixture.content("dir/keep.txt") == "new")
        #expect(fixture.temporaryFiles().isEmpty)
    }
}

/// Runs `body`; "ok", or the code of a `SandboxError` it threw, which must be one of `allowed`.
func outcome(_ allowed: [SandboxError.Code], _ body: () throws -> Void) -> String {
    do {
        try body()
        return "ok"
    } catch let error as SandboxError {
        #expect(allowed.contains(error.code), "\(error)")
        return "\(error.code)"
    } catch {
        Issue.record("not a SandboxError: \(error)")
        return "other"
    }
}

final class ReadCounts: @unchecked Sendable {
    private let lock = NSLock()
    private(set) var good = 0
    private(set) var bad = 0
    private(set) var sawB = false
    var reads: Int { lock.withLock { good + bad } }
    func record(uniform: Bool, sawB: Bool) {
        lock.withLock {
            if uniform { good += 1 } else { bad += 1 }
            if sawB { self.sawB = true }
        }
    }
}
