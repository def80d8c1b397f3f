import NIOConcurrencyHelpers

/// Counts a server's open connections and remembers since when it has had none.
final class ConnectionTracker: Sendable {
    private struct State {
        var active = 0
        var idleSince: ContinuousClock.Instant? = .now
    }

    private let state = NIOLockedValueBox(State())

    var activeConnections: Int { state.withLockedValue { $0.active } }

    /// When the last connection closed (or the tracker was made), or `nil` while one is open.
    var idleSince: ContinuousClock.Instant? { state.withLockedValue { $0.idleSince } }

    func opened() {
        state.withLockedValue {
            $0.active += 1
            $0.idleSince = nil
        }
    }

    func closed() {
        state.withLockedValue {
            $0.active -= 1
            if $0.active == 0 { $0.idleSince = .now }
        }
    }

    /// Returns once there has been no connection for `duration`.
    func waitUntilIdle(for duration: Duration) async throws {
        let clock = ContinuousClock()
        while true {
            if let idleSince {
                let idleFor = idleSince.duration(to: clock.now)
                if idleFor >= duration { return }
                try await clock.sleep(for: duration - idleFor)
            } else {
                try await clock.sleep(for: min(duration, .seconds(1)))
            }
        }
    }
}
