import NIOConcurrencyHelpers

/// Admits runs: a run starts when its user has fewer than `max_concurrent` runs going and fewer
/// than `globalConcurrency` run in all; otherwise it waits.
///
/// Waiting is FIFO per user, but one user's full quota never holds up another user: a release
/// admits, in arrival order, every waiter whose user has room (no head-of-line blocking across
/// users). Only a full global queue (`maxQueued` waiting) refuses a run at once (`QueueError.full`,
/// API.md's 503). A waiter leaves by `cancelWaiting(jobID:)` (`QueueError.cancelled`) or by the
/// cancellation of its task (`CancellationError`); neither leaks a slot.
///
/// A lock rather than an actor: `Admission.release()` frees the slot synchronously (from a
/// `defer`, a deinit), and counts read at once are exact. Continuations are resumed outside the lock.
public final class JobQueue: Sendable {
    public let globalConcurrency: Int
    public let maxQueued: Int
    private let state = NIOLockedValueBox(State())

    /// - Parameters:
    ///   - globalConcurrency: runs at once across all users (at least 1).
    ///   - maxQueued: runs that may wait at once across all users (0: none may wait).
    public init(globalConcurrency: Int, maxQueued: Int) {
        self.globalConcurrency = max(1, globalConcurrency)
        self.maxQueued = max(0, maxQueued)
    }

    /// Waits until job `jobID` of `username` may run and returns its slot; release it when the run ends.
    /// - Parameter maxConcurrent: the user's quota (at least 1 is assumed: 0 would wait forever).
    /// - Throws: `QueueError.full` at once when the run would wait and the queue is full;
    ///   `QueueError.cancelled` after `cancelWaiting(jobID:)`; `CancellationError` if the task is cancelled while waiting.
    public func admit(jobID: String, username: String, maxConcurrent: Int) async throws -> Admission {
        try Task.checkCancellation()
        let token = state.withLockedValue { state in
            state.lastToken += 1
            return state.lastToken
        }
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                let waiter = Waiter(token: token, jobID: jobID, username: username, maxConcurrent: max(1, maxConcurrent), continuation: continuation)
                let outcome = state.withLockedValue { state -> Result<Admission?, any Error> in
                    // Cancelled before this registration: the handler found nothing to remove.
                    if Task.isCancelled { return .failure(CancellationError()) }
                    if state.mayStart(waiter, globalConcurrency: globalConcurrency) {
                        return .success(state.start(waiter, queue: self))
                    }
                    guard state.waiters.count < maxQueued else { return .failure(QueueError.full) }
                    state.waiters.append(waiter)
                    return .success(nil)
                }
                switch outcome {
                case .success(let admission?): continuation.resume(returning: admission)
                case .success(nil): break
                case .failure(let error): continuation.resume(throwing: error)
                }
            }
        } onCancel: {
            leave(where: { $0.token == token }, error: CancellationError())
        }
    }

    /// Takes job `jobID` out of the queue: its `admit` throws `QueueError.cancelled`. False if it
    /// is not waiting (already started, or unknown).
    @discardableResult
    public func cancelWaiting(jobID: String) -> Bool {
        leave(where: { $0.jobID == jobID }, error: QueueError.cancelled)
    }

    /// What runs and waits now, for metrics.
    public var counts: Counts {
        state.withLockedValue { state in
            Counts(
                running: state.running.values.reduce(0, +), waiting: state.waiters.count, runningByUser: state.running,
                waitingByUser: state.waiters.reduce(into: [:]) { $0[$1.username, default: 0] += 1 })
        }
    }

    public struct Counts: Sendable, Equatable {
        public var running: Int
        public var waiting: Int
        /// Users with at least one run going.
        public var runningByUser: [String: Int]
        /// Users with at least one run waiting.
        public var waitingByUser: [String: Int]
    }

    // MARK: - Internals

    /// Called once per admission by `Admission.release()`.
    func release(username: String) {
        let admitted = state.withLockedValue { state in
            state.running[username, default: 1] -= 1
            if state.running[username] == 0 { state.running[username] = nil }
            return state.admitWaiters(globalConcurrency: globalConcurrency, queue: self)
        }
        for (continuation, admission) in admitted { continuation.resume(returning: admission) }
    }

    /// Removes the first waiter matching `predicate` and fails its `admit` with `error`.
    @discardableResult
    private func leave(where predicate: (Waiter) -> Bool, error: any Error) -> Bool {
        let (removed, admitted) = state.withLockedValue { state -> (Waiter?, [Admitted]) in
            guard let index = state.waiters.firstIndex(where: predicate) else { return (nil, []) }
            let waiter = state.waiters.remove(at: index)
            // A later waiter of the same user, held back only by FIFO order, may go now.
            return (waiter, state.admitWaiters(globalConcurrency: globalConcurrency, queue: self))
        }
        removed?.continuation.resume(throwing: error)
        for (continuation, admission) in admitted { continuation.resume(returning: admission) }
        return removed != nil
    }

    typealias Admitted = (CheckedContinuation<Admission, any Error>, Admission)

    struct Waiter {
        var token: UInt64
        var jobID: String
        var username: String
        var maxConcurrent: Int
        var continuation: CheckedContinuation<Admission, any Error>
    }

    struct State {
        var lastToken: UInt64 = 0
        /// Runs going, per user (users with none are absent).
        var running: [String: Int] = [:]
        /// In arrival order.
        var waiters: [Waiter] = []

        /// Whether `waiter`, not yet queued, may start now: room globally and for its user, and
        /// no earlier waiter of its user (FIFO per user).
        func mayStart(_ waiter: Waiter, globalConcurrency: Int) -> Bool {
            running.values.reduce(0, +) < globalConcurrency && running[waiter.username, default: 0] < waiter.maxConcurrent
                && !waiters.contains { $0.username == waiter.username }
        }

        mutating func start(_ waiter: Waiter, queue: JobQueue) -> Admission {
            running[waiter.username, default: 0] += 1
            return Admission(jobID: waiter.jobID, username: waiter.username, queue: queue)
        }

        /// Starts, in arrival order, every waiter whose user has room while there is room globally.
        /// Once one of a user's waiters is held back, so are that user's later ones.
        mutating func admitWaiters(globalConcurrency: Int, queue: JobQueue) -> [Admitted] {
            var admitted: [Admitted] = []
            var heldBack = Set<String>()
            var index = 0
            var total = running.values.reduce(0, +)
            while index < waiters.count, total < globalConcurrency {
                let waiter = waiters[index]
                if !heldBack.contains(waiter.username), running[waiter.username, default: 0] < waiter.maxConcurrent {
                    waiters.remove(at: index)
                    admitted.append((waiter.continuation, start(waiter, queue: queue)))
                    total += 1
                } else {
                    heldBack.insert(waiter.username)
                    index += 1
                }
            }
            return admitted
        }
    }
}
