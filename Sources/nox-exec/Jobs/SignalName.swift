/// Signal numbers as names, for a result's `signal` (API.md: `"SIGKILL"`, never a number).
/// Linux numbering (x86-64, arm64: the architectures Nox ships for).
public enum SignalName {
    static let names = [
        "SIGHUP", "SIGINT", "SIGQUIT", "SIGILL", "SIGTRAP", "SIGABRT", "SIGBUS", "SIGFPE", "SIGKILL", "SIGUSR1", "SIGSEGV",
        "SIGUSR2", "SIGPIPE", "SIGALRM", "SIGTERM", "SIGSTKFLT", "SIGCHLD", "SIGCONT", "SIGSTOP", "SIGTSTP", "SIGTTIN",
        "SIGTTOU", "SIGURG", "SIGXCPU", "SIGXFSZ", "SIGVTALRM", "SIGPROF", "SIGWINCH", "SIGIO", "SIGPWR", "SIGSYS",
    ]

    /// The name of signal `number` (1…31), e.g. 9 → `"SIGKILL"`; nil outside that range.
    public static func name(for number: Int) -> String? {
        (1...names.count).contains(number) ? names[number - 1] : nil
    }

    /// The number of a signal named like `"SIGKILL"` or `"KILL"` (as systemd writes them); nil if unknown.
    public static func number(for name: String) -> Int? {
        let full = name.hasPrefix("SIG") ? name : "SIG" + name
        return names.firstIndex(of: full).map { $0 + 1 }
    }
}
