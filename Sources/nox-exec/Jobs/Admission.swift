import NIOConcurrencyHelpers

/// A run's slot in the `JobQueue`: held while the run goes, released when it ends.
///
/// `release()` is idempotent, and dropping the last reference releases too, so a run that
/// ends by an unexpected error cannot keep its user's slot forever. Hold it for the whole run.
public final class Admission: Sendable {
    public let jobID: String
    public let username: String
    private let queue: JobQueue
    private let released = NIOLockedValueBox(false)

    init(jobID: String, username: String, queue: JobQueue) {
        self.jobID = jobID
        self.username = username
        self.queue = queue
    }

    /// Frees the slot and starts the next eligible waiters. Later calls do nothing.
    public func release() {
        let first = released.withLockedValue { released in
            defer { released = true }
            return !released
        }
        if first { queue.release(username: username) }
    }

    deinit { release() }
}
