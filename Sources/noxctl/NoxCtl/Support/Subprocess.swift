import Glibc

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// Runs the system's tools (systemctl, journalctl) for the host commands.
enum Subprocess {
    struct Result {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    /// Runs `executable` with `arguments` (stdin /dev/null), capturing its output; both pipes
    /// are drained together (poll) so a chatty tool cannot block on a full pipe.
    static func run(_ executable: String, _ arguments: [String]) throws -> Result {
        var outPipe: [Int32] = [-1, -1]
        var errPipe: [Int32] = [-1, -1]
        guard pipe(&outPipe) == 0, pipe(&errPipe) == 0 else { throw NoxCtlError("cannot run \(executable): \(POSIX.errorText)") }
        // Only the dup2'd copies reach the child.
        for fd in outPipe + errPipe { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, outPipe[1], 1)
        posix_spawn_file_actions_adddup2(&actions, errPipe[1], 2)
        var environment = ProcessInfo.processInfo.environment
        environment["SYSTEMD_COLORS"] = "0"
        environment["SYSTEMD_PAGER"] = ""
        environment["LC_ALL"] = "C.UTF-8"
        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            for pointer in argv + envp { free(pointer) }
        }
        // The child starts with no blocked signals and default SIGPIPE/SIGINT/SIGTERM, whatever
        // noxctl ignores or blocks itself (it ignores SIGPIPE; a caller may block signals).
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var noSignals = sigset_t()
        sigemptyset(&noSignals)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for number in [SIGPIPE, SIGINT, SIGTERM, SIGQUIT] { sigaddset(&defaults, number) }
        posix_spawnattr_setsigmask(&attributes, &noSignals)
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, executable, &actions, &attributes, argv, envp)
        close(outPipe[1])
        close(errPipe[1])
        defer {
            close(outPipe[0])
            close(errPipe[0])
        }
        guard spawned == 0 else { throw NoxCtlError("cannot run \(executable): \(String(cString: strerror(spawned)))") }
        var collected: [Int32: [UInt8]] = [outPipe[0]: [], errPipe[0]: []]
        var open = [outPipe[0], errPipe[0]]
        var buffer = [UInt8](repeating: 0, count: 65536)
        while !open.isEmpty {
            var fds = open.map { pollfd(fd: $0, events: Int16(POLLIN), revents: 0) }
            if poll(&fds, nfds_t(fds.count), -1) < 0 {
                if errno == EINTR { continue }
                break
            }
            for entry in fds where entry.revents != 0 {
                let got = buffer.withUnsafeMutableBytes { read(entry.fd, $0.baseAddress, $0.count) }
                if got > 0 {
                    collected[entry.fd, default: []] += buffer[0..<got]
                } else if got == 0 || errno != EINTR {
                    open.removeAll { $0 == entry.fd }
                }
            }
        }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        // WIFEXITED/WEXITSTATUS are macros Swift does not import.
        let exitStatus = (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
        return Result(
            status: exitStatus, stdout: String(decoding: collected[outPipe[0]] ?? [], as: UTF8.self),
            stderr: String(decoding: collected[errPipe[0]] ?? [], as: UTF8.self))
    }

    /// Runs a tool and fails with its stderr when it exits non-zero.
    @discardableResult
    static func check(_ executable: String, _ arguments: [String]) throws -> String {
        let result = try run(executable, arguments)
        guard result.status == 0 else {
            let why = result.stderr.trimmed
            throw NoxCtlError(
                "\(executable.split(separator: "/").last ?? "") \(arguments.joined(separator: " ")) failed: \(why.isEmpty ? "exit \(result.status)" : why)"
            )
        }
        return result.stdout
    }

    /// Replaces this process with `executable` (journalctl keeps the terminal, pager and -f).
    static func exec(_ executable: String, _ arguments: [String]) throws -> Never {
        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        // journalctl gets the default SIGPIPE (noxctl ignores it) and no blocked signals.
        signal(SIGPIPE, SIG_DFL)
        var noSignals = sigset_t()
        sigemptyset(&noSignals)
        sigprocmask(SIG_SETMASK, &noSignals, nil)
        execv(executable, argv)
        throw NoxCtlError("cannot run \(executable): \(String(cString: strerror(errno)))")
    }

    /// The first of `candidates` that exists and is executable.
    static func find(_ candidates: [String]) -> String? {
        candidates.first { access($0, X_OK) == 0 }
    }

    static var systemctl: String { find(["/usr/bin/systemctl", "/bin/systemctl"]) ?? "/usr/bin/systemctl" }
    static var journalctl: String { find(["/usr/bin/journalctl", "/bin/journalctl"]) ?? "/usr/bin/journalctl" }

    /// Host operations read and change Nox's root-owned state.
    static func requireRoot(_ what: String) throws {
        if geteuid() != 0 { throw NoxCtlError("\(what) runs on the Nox host as root (try: sudo noxctl \(what))") }
    }
}
