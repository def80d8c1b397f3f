import NoxRuntime

/// Names derived from a user and a job for systemd.
enum RunIdentity {
    /// The DynamicUser name of a Nox user's runs: the same for all of that user's runs (they may
    /// see each other, as one user's processes do), different from every other user's (so
    /// `ProtectProc=invisible` hides them and signals and ptrace cannot cross). A hash, because a
    /// system user name is at most 31 characters and a Nox username may be 32.
    static func dynamicUser(for username: String) -> String {
        "noxr-" + String(Digest.sha256Hex("nox-run:" + username).prefix(16))
    }

    /// `nox-run-<job id without its prefix>.service`.
    static func unitName(jobID: String) -> String {
        let bare = jobID.hasPrefix("job_") ? String(jobID.dropFirst(4)) : jobID
        return "nox-run-\(bare).service"
    }
}
