import Foundation
import Glibc

/// The three pipes of one run. The run's ends go to systemd (`Standard*FileDescriptor=`, which
/// duplicates them); ours are read and written on a thread of the run's own, with `poll`, so a
/// program that floods stdout or never reads stdin can block nobody else.
final class RunPipes: @unchecked Sendable {
    enum Stream: Sendable { case stdout, stderr }

    /// Handed to the unit, closed by us once systemd has its copies.
    let runStdin: Int32
    let runStdout: Int32
    let runStderr: Int32
    private let stdinWriter: Int32
    private let stdoutReader: Int32
    private let stderrReader: Int32
    private let input: [UInt8]

    /// - Parameter stdin: bytes to give the program (the write end is closed after them: EOF).
    init(stdin: [UInt8]) throws {
        func makePipe() throws -> (read: Int32, write: Int32) {
            var ends: [Int32] = [-1, -1]
            guard pipe(&ends) == 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
            for fd in ends { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
            return (ends[0], ends[1])
        }
        let inPipe = try makePipe(), outPipe = try makePipe(), errPipe = try makePipe()
        (runStdin, stdinWriter) = (inPipe.read, inPipe.write)
        (stdoutReader, runStdout) = (outPipe.read, outPipe.write)
        (stderrReader, runStderr) = (errPipe.read, errPipe.write)
        for fd in [stdinWriter, stdoutReader, stderrReader] { _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) }
        input = stdin
    }

    /// Closes the run's ends (after the unit started: systemd holds its own duplicates).
    func closeRunEnds() {
        for fd in [runStdin, runStdout, runStderr] { close(fd) }
    }

    /// Pumps until both outputs reach EOF (every process of the run is gone and systemd let go of
    /// its copies), then closes our ends and returns. `sink` gets each chunk as it arrives.
    func pump(_ sink: @escaping @Sendable (Stream, [UInt8]) -> Void) async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let thread = Thread { [self] in
                loop(sink)
                continuation.resume()
            }
            thread.name = "nox-exec run io"
            thread.start()
        }
    }

    private func loop(_ sink: (Stream, [UInt8]) -> Void) {
        var writer: Int32 = input.isEmpty ? -1 : stdinWriter
        if input.isEmpty { close(stdinWriter) }
        var written = 0
        var readers: [(fd: Int32, stream: Stream)] = [(stdoutReader, .stdout), (stderrReader, .stderr)]
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        while !readers.isEmpty {
            var fds = readers.map { pollfd(fd: $0.fd, events: Int16(POLLIN), revents: 0) }
            if writer >= 0 { fds.append(pollfd(fd: writer, events: Int16(POLLOUT), revents: 0)) }
            guard poll(&fds, nfds_t(fds.count), -1) >= 0 || errno == EINTR else { break }
            if writer >= 0, let last = fds.last, last.revents != 0 {
                let count = input.withUnsafeBytes { bytes in
                    write(writer, bytes.baseAddress! + written, bytes.count - written)
                }
                if count > 0 { written += count }
                // Done, or the program closed its stdin (EPIPE; SIGPIPE is ignored by the daemon).
                if written >= input.count || (count < 0 && errno != EAGAIN && errno != EINTR) || last.revents & Int16(POLLERR | POLLHUP) != 0 {
                    close(writer)
                    writer = -1
                }
            }
            var finished: [Int32] = []
            for (index, reader) in readers.enumerated() where fds[index].revents != 0 {
                let count = read(reader.fd, &buffer, buffer.count)
                if count > 0 {
                    sink(reader.stream, Array(buffer[0..<count]))
                } else if count == 0 || (errno != EAGAIN && errno != EINTR) {
                    finished.append(reader.fd)
                }
            }
            for fd in finished { close(fd) }
            readers.removeAll { finished.contains($0.fd) }
        }
        if writer >= 0 { close(writer) }
    }
}
