import Foundation

/// The argv of a run's main process, from its language and request.
enum RunCommand {
    /// Inside the run: where a compiled program is written (the run's private /tmp).
    static let binaryPath = "/tmp/nox-program"

    /// One argv for the unit. A language with a compile step runs both through `/bin/sh -c`
    /// with a fixed script built only from the manifest's (trusted, admin-written) argv, each
    /// item single-quoted; the user's arguments follow as `"$@"` — never part of the script.
    static func argv(compile: [String]?, run: [String], args: [String]) -> [String] {
        guard let compile else { return run + args }
        let script = "\(compile.map(quoted).joined(separator: " ")) && exec \(run.map(quoted).joined(separator: " ")) \"$@\""
        return ["/bin/sh", "-c", script, "nox-run"] + args
    }

    static func quoted(_ word: String) -> String {
        "'" + word.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }
}
