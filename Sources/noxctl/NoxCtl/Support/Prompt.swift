import Glibc

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// Questions on the controlling terminal (never on stdin, which may carry data).
enum Prompt {
    /// A line typed on the terminal; nil without one.
    static func line(_ question: String) -> String? {
        guard let tty = fopen("/dev/tty", "r+") else { return nil }
        defer { fclose(tty) }
        fputs(question, tty)
        fflush(tty)
        var buffer: UnsafeMutablePointer<CChar>?
        var capacity = 0
        defer { free(buffer) }
        guard getline(&buffer, &capacity, tty) > 0, let buffer else { return nil }
        return String(cString: buffer).trimmed
    }

    /// A secret typed on the terminal with echo off; nil without a terminal.
    static func secret(_ question: String) -> String? {
        let fd = open("/dev/tty", O_RDWR | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var saved = termios()
        guard tcgetattr(fd, &saved) == 0 else { return nil }
        var silent = saved
        silent.c_lflag &= ~tcflag_t(ECHO)
        Console.writeAll(fd, Array(question.utf8))
        tcsetattr(fd, TCSAFLUSH, &silent)
        defer {
            tcsetattr(fd, TCSAFLUSH, &saved)
            Console.writeAll(fd, Array("\n".utf8))
        }
        var bytes: [UInt8] = []
        var byte: UInt8 = 0
        while read(fd, &byte, 1) == 1, byte != UInt8(ascii: "\n") { bytes.append(byte) }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// All of stdin as text without the final newline (`--password-stdin`).
    static func stdinSecret() throws -> String {
        let data = POSIX.readStdin()
        var text = String(decoding: data, as: UTF8.self)
        while text.hasSuffix("\n") || text.hasSuffix("\r") { text.removeLast() }
        guard !text.isEmpty else { throw NoxCtlError("--password-stdin: stdin was empty") }
        return text
    }

    /// A password from stdin (`fromStdin`) or asked twice on the terminal.
    static func newPassword(fromStdin: Bool) throws -> String {
        if fromStdin { return try stdinSecret() }
        guard let first = secret("New password: ") else { throw NoxCtlError("no terminal to ask for a password: use --password-stdin") }
        guard secret("Again: ") == first else { throw NoxCtlError("the passwords differ") }
        guard !first.isEmpty else { throw NoxCtlError("empty password") }
        return first
    }
}
