import HTTPTypes
public import NoxRuntime

/// Why `JobQueue.admit` gave up on a run.
public struct QueueError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Code: String, Sendable {
        /// The global queue already holds `maxQueued` waiting runs.
        case full = "queue_full"
        /// `cancelWaiting(jobID:)` took the run out of the queue before it started.
        case cancelled
    }

    public var code: Code
    public var message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public static let full = QueueError(.full, "Too many runs are waiting; try again later.")
    public static let cancelled = QueueError(.cancelled, "The run was cancelled before it started.")

    /// The `Retry-After` of a full queue: runs take seconds, so a few seconds on a slot may be free.
    public static let retryAfterSeconds = 5

    public var description: String { "\(code.rawValue): \(message)" }
}

extension QueueError: APIErrorConvertible {
    /// Full → `503` with `Retry-After` (API.md: only a full global queue gives 503). Cancelled
    /// is normally turned into a `cancelled` result by the daemon; should it reach the edge: `409`.
    public var apiError: APIError {
        switch code {
        case .full:
            APIError(
                .serviceUnavailable, code: code.rawValue, message: message, details: ["retry_after": String(Self.retryAfterSeconds)],
                headers: ["Retry-After": String(Self.retryAfterSeconds)])
        case .cancelled:
            APIError(.conflict, code: code.rawValue, message: message)
        }
    }
}
