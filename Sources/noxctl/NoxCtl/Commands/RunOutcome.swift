/// What a finished run means for noxctl's exit status, so `noxctl run` works in shell scripts:
/// the program's own exit code when it exited; otherwise the conventions of timeout(1),
/// the shell and docker run.
public enum RunOutcome {
    /// Exit status for a result object.
    public static func exitStatus(_ result: JSONValue) -> Int32 {
        switch result["status"].string {
        case "succeeded": return 0
        case "failed": return Int32(clamping: result["exit_code"].int ?? 1)
        case "timeout": return 124  // timeout(1)
        case "oom": return 137  // the shell's status for a SIGKILLed program, as the OOM killer does
        case "killed": return 128 + (result["signal"].string.flatMap(signalNumber) ?? 9)
        case "cancelled": return 130  // as after Ctrl-C
        default: return 125  // "error": Nox itself failed (docker run's 125)
        }
    }

    private static let signals = [
        "SIGHUP", "SIGINT", "SIGQUIT", "SIGILL", "SIGTRAP", "SIGABRT", "SIGBUS", "SIGFPE", "SIGKILL", "SIGUSR1", "SIGSEGV",
        "SIGUSR2", "SIGPIPE", "SIGALRM", "SIGTERM", "SIGSTKFLT", "SIGCHLD", "SIGCONT", "SIGSTOP", "SIGTSTP", "SIGTTIN",
        "SIGTTOU", "SIGURG", "SIGXCPU", "SIGXFSZ", "SIGVTALRM", "SIGPROF", "SIGWINCH", "SIGIO", "SIGPWR", "SIGSYS",
    ]

    /// `"SIGTERM"` or `"TERM"` → 15 (Linux numbering).
    public static func signalNumber(_ name: String) -> Int32? {
        let full = name.hasPrefix("SIG") ? name : "SIG" + name
        return signals.firstIndex(of: full).map { Int32($0 + 1) }
    }

    /// A one-line note for stderr when the run did not simply exit (nil when it did).
    public static func note(_ result: JSONValue) -> String? {
        let id = result["id"].cellText
        switch result["status"].string {
        case "succeeded", "failed": return nil
        case "timeout": return "run \(id) timed out"
        case "oom": return "run \(id) ran out of memory"
        case "killed": return "run \(id) was killed by \(result["signal"].string ?? "a signal")"
        case "cancelled": return "run \(id) was cancelled"
        case "error": return "run \(id) failed in Nox: \(result["error"].string ?? result["stderr"].string ?? "no reason given")"
        default: return "run \(id) ended as \(result["status"].cellText)"
        }
    }
}
