import NIOConcurrencyHelpers

/// A run between `submit` and its end: what cancelling it needs (its unit, once started) and
/// what a request waiting for it (`wait: true`) is suspended on.
final class ActiveRun: Sendable {
    let username: String
    private struct State {
        var handle: UnitRunner.Handle?
        var cancelled = false
        /// Ended by nox-exec's own stop (SIGTERM), not by its user: recorded as `error`.
        var aborted = false
        var result: RunResult?
        var waiters: [CheckedContinuation<RunResult, Never>] = []
    }
    private let state = NIOLockedValueBox(State())

    init(username: String) { self.username = username }

    var isCancelled: Bool { state.withLockedValue { $0.cancelled } }

    /// Records the started unit; returns false when the run was cancelled meanwhile (stop it).
    func started(_ handle: UnitRunner.Handle) -> Bool {
        state.withLockedValue { state in
            state.handle = handle
            return !state.cancelled
        }
    }

    /// Marks it cancelled; returns its unit when it is running (to be stopped).
    func cancel() -> UnitRunner.Handle? {
        state.withLockedValue { state in
            state.cancelled = true
            return state.handle
        }
    }

    var isAborted: Bool { state.withLockedValue { $0.aborted } }

    /// Marks it cancelled by nox-exec's stop; returns its unit when it is running (to be stopped).
    func abort() -> UnitRunner.Handle? {
        state.withLockedValue { state in
            state.cancelled = true
            state.aborted = true
            return state.handle
        }
    }

    func complete(_ result: RunResult) {
        let waiters = state.withLockedValue { state -> [CheckedContinuation<RunResult, Never>] in
            state.result = result
            defer { state.waiters.removeAll() }
            return state.waiters
        }
        for waiter in waiters { waiter.resume(returning: result) }
    }

    /// The final result, once there is one.
    func result() async -> RunResult {
        await withCheckedContinuation { continuation in
            let done = state.withLockedValue { state -> RunResult? in
                if let result = state.result { return result }
                state.waiters.append(continuation)
                return nil
            }
            if let done { continuation.resume(returning: done) }
        }
    }
}
