/// Where a run is in its life, as API.md names it.
public enum RunStatus: String, Codable, Sendable, CaseIterable {
    case queued, running
    /// Exit status 0.
    case succeeded
    /// Exit status other than 0.
    case failed
    /// Ran past its `timeout_s` (the unit's `RuntimeMaxSec=`).
    case timeout
    /// Killed by the kernel's OOM killer at the run's or the user's memory limit.
    case oom
    /// Ended by a signal that was not a timeout, the memory limit or a cancellation.
    case killed
    /// Cancelled by the user (`DELETE /api/jobs/{id}`), queued or running.
    case cancelled
    /// Nox itself failed to run it; the result's message says why.
    case error

    /// Whether the run is over (the result will not change again).
    public var isFinal: Bool { self != .queued && self != .running }
}
