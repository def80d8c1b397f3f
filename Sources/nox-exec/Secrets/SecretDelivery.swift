import Foundation
import NoxRuntime

/// How a run receives the secrets it names, without their values ever reaching systemd's
/// unit properties.
///
/// The obvious way, the transient unit's `Environment=`, leaks them: systemd publishes every
/// unit's `Environment` as a D-Bus property that any local user may read
/// (`systemctl show nox-run-… -p Environment` works unprivileged), and writes it into the
/// world-readable transient unit file under /run/systemd/transient. `SetCredential=` has the
/// same problem (its data is a unit property and in the unit file too).
///
/// So each value goes into a root-only file of its own (`/run/nox-exec/secrets/JOB/NAME`,
/// directories 0700, files 0400, on tmpfs) that the unit names with `LoadCredential=NAME:PATH`:
/// only the path is public. systemd (PID 1) copies the file into the run's private credential
/// directory, readable by the run's user only, and we delete our copy when the run ends.
/// The run's program then needs them as environment variables (the API's promise), which
/// systemd 252 cannot do from a credential, so the run's command is wrapped in a fixed
/// `/bin/sh` script that exports each named credential and `exec`s the real argv unchanged
/// ("$@", so no argument is ever parsed by the shell; the names are checked [A-Z0-9_]).
enum SecretDelivery {
    /// Under nox-exec's RuntimeDirectory (tmpfs: never on disk, gone at reboot).
    static let directory = RunUnit.usageDirectory + "/secrets"

    /// Writes `values` for job `jobID`; returns the `LoadCredential=` pairs (name, path).
    static func write(_ values: [String: String], jobID: String) throws -> [(String, String)] {
        guard !values.isEmpty else { return [] }
        let jobDirectory = directory + "/" + jobID
        for path in [directory, jobDirectory] {
            guard mkdir(path, 0o700) == 0 || errno == EEXIST, chmod(path, 0o700) == 0 else {
                throw SecretError("The run's secrets directory cannot be made (errno \(errno)).")
            }
        }
        var credentials: [(String, String)] = []
        for (name, value) in values.sorted(by: { $0.key < $1.key }) {
            let path = jobDirectory + "/" + name
            // Inside a 0700 root directory, so no one else can read it even for the moment before chmod.
            guard FileManager.default.createFile(atPath: path, contents: Data(value.utf8)), chmod(path, 0o400) == 0 else {
                throw SecretError("The secret \(name) cannot be handed to the run (errno \(errno)).")
            }
            credentials.append((name, path))
        }
        return credentials
    }

    /// Removes job `jobID`'s files (after the run, or when it could not start).
    static func remove(jobID: String) {
        try? FileManager.default.removeItem(atPath: directory + "/" + jobID)
    }

    /// At start: files left by runs of a daemon that stopped while they ran.
    static func removeLeftovers() {
        try? FileManager.default.removeItem(atPath: directory)
    }

    /// `command` run through the exporting script when there are secrets; unchanged otherwise.
    static func wrap(_ command: [String], names: [String]) -> [String] {
        guard !names.isEmpty else { return command }
        var script = ""
        for name in names.sorted() {
            precondition(SecretName.isValid(name), "secret names are checked before they get here")
            // `; echo .` then `${v%.}` keeps trailing newlines, which `$(...)` would strip.
            script += "v=$(cat \"$CREDENTIALS_DIRECTORY/\(name)\" && echo .) || { echo 'nox: secret \(name) is unavailable' >&2; exit 127; }\n"
            script += "\(name)=${v%.}; export \(name)\n"
        }
        script += "unset v\nexec \"$@\"\n"
        // $0 of the script is "nox-secrets"; the real argv follows as "$@".
        return ["/bin/sh", "-c", script, "nox-secrets"] + command
    }
}
