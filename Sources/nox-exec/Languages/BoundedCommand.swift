import Glibc

/// A short command run with a deadline, such as a toolchain's `--version`, which must never hang the daemon.
///
/// The command gets its own process group, so at the end the whole group is killed, children that
/// kept the pipe open included; reading stops at the deadline even if a descendant escaped the group.
/// stdin is `/dev/null`, stdout and stderr share one pipe (`java -version` prints to stderr), and the
/// signals the daemon ignores or blocks (SIGPIPE, SIGTERM) are reset for the child. Several commands can
/// be started first and finished after, so their waits overlap.
final class BoundedCommand {
    enum Status: Equatable {
        case exited(Int32)
        case signalled(Int32)
        case timedOut
    }

    struct SpawnFailure: Error, CustomStringConvertible {
        let errno: Int32
        var description: String { "cannot start: \(String(cString: strerror(errno)))" }
    }

    /// Output beyond this is read and dropped: a version fits in far less.
    static let outputLimit = 64 << 10

    private let pid: pid_t
    private let readEnd: Int32
    private let deadline: ContinuousClock.Instant
    private var finished = false

    /// Starts `argv` (`argv[0]` an absolute path) with exactly `environment`.
    init(_ argv: [String], environment: [String: String], timeout: Duration) throws(SpawnFailure) {
        var ends: [Int32] = [-1, -1]
        guard pipe(&ends) == 0 else { throw SpawnFailure(errno: errno) }
        // Not inherited by other commands spawned meanwhile (pipe2 with O_CLOEXEC is not exported to Swift).
        _ = fcntl(ends[0], F_SETFD, FD_CLOEXEC)
        _ = fcntl(ends[1], F_SETFD, FD_CLOEXEC)
        defer { close(ends[1]) }
        do {
            pid = try Self.spawn(argv, environment: environment, output: ends[1])
        } catch {
            close(ends[0])
            throw error
        }
        readEnd = ends[0]
        deadline = .now + timeout
    }

    deinit {
        if !finished { _ = finish() }
    }

    /// Waits for the command until its deadline, kills what is left of its group, and reaps it.
    func finish() -> (output: String, status: Status) {
        finished = true
        var output: [UInt8] = []
        var timedOut = !readUntilEnd(into: &output)
        close(readEnd)
        if !timedOut { timedOut = !waitForExitWithoutReaping() }
        // The command is not reaped yet, so its pid (the group's id) cannot have been reused.
        kill(-pid, SIGKILL)
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        let text = String(decoding: output, as: UTF8.self)
        if timedOut { return (text, .timedOut) }
        let signal = status & 0x7f
        return (text, signal == 0 ? .exited((status >> 8) & 0xff) : .signalled(signal))
    }

    /// Reads until end of file (true) or the deadline (false). Commands are finished one after another,
    /// so a later one's deadline may have passed while it sat done: what is already in the pipe is
    /// still read, up to `outputLimit` bytes, so a chatty command cannot keep us past the deadline.
    private func readUntilEnd(into output: inout [UInt8]) -> Bool {
        var buffer = [UInt8](repeating: 0, count: 4096)
        var lateBytes = 0
        while true {
            let left = ContinuousClock.now.duration(to: deadline)
            guard left > .zero || lateBytes < Self.outputLimit else { return false }
            var descriptor = pollfd(fd: readEnd, events: Int16(POLLIN), revents: 0)
            let ready = poll(&descriptor, 1, left > .zero ? Self.milliseconds(left) : 0)
            if ready < 0 && errno == EINTR { continue }
            if ready == 0 { return false }
            // A failing poll cannot be waited out; take what was read as all there is.
            guard ready > 0 else { return true }
            let count = buffer.withUnsafeMutableBytes { read(readEnd, $0.baseAddress, $0.count) }
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else { return true }
            if left <= .zero { lateBytes += count }
            output.append(contentsOf: buffer[..<min(count, max(0, Self.outputLimit - output.count))])
        }
    }

    /// Polls for the exit with `WNOWAIT`, which leaves the zombie in place for the group kill; looks at
    /// least once, for a command that ended while an earlier one was being waited for.
    private func waitForExitWithoutReaping() -> Bool {
        repeat {
            var info = siginfo_t()
            let result = waitid(P_PID, id_t(pid), &info, WEXITED | WNOHANG | WNOWAIT)
            if (result == 0 && info.si_signo != 0) || (result < 0 && errno == ECHILD) { return true }
            usleep(5_000)
        } while ContinuousClock.now < deadline
        return false
    }

    private static func milliseconds(_ duration: Duration) -> Int32 {
        let (seconds, attoseconds) = duration.components
        return Int32(clamping: max(1, seconds * 1000 + attoseconds / 1_000_000_000_000_000))
    }

    private static func spawn(_ argv: [String], environment: [String: String], output: Int32) throws(SpawnFailure) -> pid_t {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, output, 1)
        posix_spawn_file_actions_adddup2(&actions, output, 2)
        _ = addCloseFrom?(&actions, 3)

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var noSignals = sigset_t()
        sigemptyset(&noSignals)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for signal in [SIGPIPE, SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGCHLD] { sigaddset(&defaults, signal) }
        posix_spawnattr_setsigmask(&attributes, &noSignals)
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setpgroup(&attributes, 0)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))

        let arguments = argv.map { strdup($0) } + [nil]
        let variables = environment.sorted { $0.key < $1.key }.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { (arguments + variables).forEach { free($0) } }
        var pid: pid_t = 0
        let result = posix_spawn(&pid, argv[0], &actions, &attributes, arguments, variables)
        guard result == 0 else { throw SpawnFailure(errno: result) }
        return pid
    }

    /// glibc's `posix_spawn_file_actions_addclosefrom_np` (2.34+), looked up at run time because Swift's Glibc
    /// module does not export GNU extensions: it keeps descriptors the daemon opened without `O_CLOEXEC`
    /// out of the command. Without it, only close-on-exec descriptors stay behind.
    private static let addCloseFrom: (@convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32)? = {
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "posix_spawn_file_actions_addclosefrom_np") else { return nil }
        return unsafeBitCast(symbol, to: (@convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32).self)
    }()
}
