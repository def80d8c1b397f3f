import NIOConcurrencyHelpers

/// Hands each new snapshot to every live-stream subscriber. A slow subscriber gets only the
/// newest one (the stream buffers one), never an ever-growing queue.
public final class SnapshotBroadcaster: Sendable {
    private struct State {
        var latest: SystemSnapshot?
        var next = 0
        var subscribers: [Int: AsyncStream<SystemSnapshot>.Continuation] = [:]
    }
    private let state = NIOLockedValueBox(State())

    public init() {}

    public var latest: SystemSnapshot? { state.withLockedValue { $0.latest } }
    public var subscriberCount: Int { state.withLockedValue { $0.subscribers.count } }

    public func publish(_ snapshot: SystemSnapshot) {
        let subscribers = state.withLockedValue { state in
            state.latest = snapshot
            return Array(state.subscribers.values)
        }
        for subscriber in subscribers { subscriber.yield(snapshot) }
    }

    /// The snapshots from now on; the stream ends when the caller stops iterating it.
    public func subscribe() -> AsyncStream<SystemSnapshot> {
        let (stream, continuation) = AsyncStream.makeStream(of: SystemSnapshot.self, bufferingPolicy: .bufferingNewest(1))
        let id = state.withLockedValue { state in
            state.next += 1
            state.subscribers[state.next] = continuation
            return state.next
        }
        continuation.onTermination = { [weak self] _ in
            _ = self?.state.withLockedValue { $0.subscribers.removeValue(forKey: id) }
        }
        return stream
    }

    /// Ends every stream (at shutdown).
    public func finishAll() {
        let subscribers = state.withLockedValue { state in
            defer { state.subscribers.removeAll() }
            return Array(state.subscribers.values)
        }
        for subscriber in subscribers { subscriber.finish() }
    }
}
