import CDispatch  // where the compiler finds `struct stat` once NoxRuntime is in the graph (MemberImportVisibility)
import Foundation
import Glibc
import NoxTestSupport
import Testing

@testable import NoxFiles

/// A sandbox and a "victim" directory beside it (standing in for `/etc`, Nox's state or another
/// user's sandbox), in a fresh temporary directory. Tests plant symlinks from the sandbox to
/// the victim and check with `victimIsUntouched()` that nothing there was read or changed.
final class SandboxFixture {
    let temporary: TemporaryDirectory
    let root: String
    let victim: String
    let sandbox: SandboxDirectory
    private let victimSnapshot: [String: String]

    static let secret = "VICTIM SECRET"

    init(
        _ resolution: SandboxDirectory.Resolution, unnamedTemporaryFiles: Bool = true,
        beforeDescending: (@Sendable (_ root: String, _ victim: String, _ name: String) -> Void)? = nil
    ) throws {
        temporary = try TemporaryDirectory()
        root = temporary.path + "/sandbox"
        victim = temporary.path + "/victim"
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: victim + "/vdir", withIntermediateDirectories: true)
        try Self.secret.write(toFile: victim + "/secret.txt", atomically: false, encoding: .utf8)
        try "inner".write(toFile: victim + "/vdir/inner.txt", atomically: false, encoding: .utf8)
        try "only here".write(toFile: victim + "/victim-only.txt", atomically: false, encoding: .utf8)
        victimSnapshot = Self.snapshot(victim)
        var options = SandboxDirectory.Options()
        options.forceResolution = resolution
        options.useUnnamedTemporaryFiles = unnamedTemporaryFiles
        if let beforeDescending {
            let (root, victim) = (root, victim)
            options.beforeDescending = { beforeDescending(root, victim, $0) }
        }
        sandbox = try SandboxDirectory(path: root, options: options)
    }

    deinit { temporary.remove() }

    /// Every path under `directory` with its content (files) or `<dir>`/`<link>`.
    static func snapshot(_ directory: String) -> [String: String] {
        var result: [String: String] = [:]
        func visit(_ relative: String) {
            let full = relative.isEmpty ? directory : directory + "/" + relative
            guard let names = try? FileManager.default.contentsOfDirectory(atPath: full) else { return }
            for name in names {
                let path = relative.isEmpty ? name : relative + "/" + name
                var st = stat()
                lstat(directory + "/" + path, &st)
                switch st.st_mode & S_IFMT {
                case S_IFDIR:
                    result[path] = "<dir>"
                    visit(path)
                case S_IFLNK: result[path] = "<link>"
                default: result[path] = (try? String(contentsOfFile: directory + "/" + path, encoding: .utf8)) ?? "<unreadable>"
                }
            }
        }
        visit("")
        return result
    }

    func victimIsUntouched() -> Bool { Self.snapshot(victim) == victimSnapshot }

    /// Writes a file directly (not through the API).
    func put(_ relative: String, _ content: String) throws {
        let full = root + "/" + relative
        try FileManager.default.createDirectory(atPath: (full as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try content.write(toFile: full, atomically: false, encoding: .utf8)
    }

    func mkdir(_ relative: String) throws {
        try FileManager.default.createDirectory(atPath: root + "/" + relative, withIntermediateDirectories: true)
    }

    /// Plants `relative` → `target` (an absolute path, or relative to the link's directory).
    func symlink(_ relative: String, to target: String) {
        #expect(Glibc.symlink(target, root + "/" + relative) == 0)
    }

    func content(_ relative: String) -> String? {
        try? String(contentsOfFile: root + "/" + relative, encoding: .utf8)
    }

    func exists(_ relative: String) -> Bool {
        var st = stat()
        return lstat(root + "/" + relative, &st) == 0
    }

    /// Names of temporary files left anywhere in the sandbox.
    func temporaryFiles() -> [String] {
        Self.snapshot(root).keys.filter { $0.split(separator: "/").last!.hasPrefix(SandboxDirectory.temporaryPrefix) }
    }
}

func path(_ raw: String) -> SandboxPath { try! SandboxPath(raw) }

func text(_ file: SandboxFile) throws -> String { String(decoding: try file.readAll(), as: UTF8.self) }

/// The code of the error `body` throws (nil if it does not throw).
func errorCode(_ body: () throws -> Void) -> SandboxError.Code? {
    do {
        try body()
        return nil
    } catch let error as SandboxError {
        return error.code
    } catch {
        Issue.record("not a SandboxError: \(error)")
        return nil
    }
}

/// Both resolution strategies, so the fallback walk is tested on a kernel that has `openat2`.
let resolutions: [SandboxDirectory.Resolution] = [.openat2, .componentWalk]

/// A flag shared with a background thread.
final class StopFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var stopped = false
    var isStopped: Bool { lock.withLock { stopped } }
    func stop() { lock.withLock { stopped = true } }
}

/// Runs `body` on a new thread until `flag` is stopped; `join()` waits for it to end.
final class BackgroundLoop: @unchecked Sendable {
    let flag = StopFlag()
    private let done = DispatchSemaphore(value: 0)

    init(_ body: @escaping @Sendable () -> Void) {
        let flag = flag
        let done = done
        Thread {
            while !flag.isStopped { body() }
            done.signal()
        }.start()
    }

    func stopAndJoin() {
        flag.stop()
        done.wait()
    }
}
