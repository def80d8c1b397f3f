import Atomics

/// Counts requests in flight and remembers when the last one ended, for exit-when-idle.
public final class ActivityTracker: Sendable {
    private let inFlight = ManagedAtomic<Int>(0)
    private let lastActivity = ManagedAtomic<Int64>(0)
    private let isBusy: @Sendable () -> Bool

    /// - Parameter isBusy: other work that keeps the daemon up (open IPC connections).
    public init(isBusy: @escaping @Sendable () -> Bool = { false }) {
        self.isBusy = isBusy
        touch()
    }

    public func begin() {
        inFlight.wrappingIncrement(ordering: .relaxed)
        touch()
    }

    public func end() {
        inFlight.wrappingDecrement(ordering: .relaxed)
        touch()
    }

    /// Marks activity that is not an HTTP request (an IPC call).
    public func touch() {
        lastActivity.store(Self.now(), ordering: .relaxed)
    }

    /// Seconds since anything happened, or 0 while something is in flight.
    public var idleSeconds: Int64 {
        if inFlight.load(ordering: .relaxed) > 0 || isBusy() {
            touch()
            return 0
        }
        return Self.now() - lastActivity.load(ordering: .relaxed)
    }

    static func now() -> Int64 {
        Int64(ContinuousClock.now.secondsSinceProcessStart)
    }
}

extension ContinuousClock.Instant {
    var secondsSinceProcessStart: Int64 {
        let (seconds, _) = (self - ContinuousClock.Instant.processStart).components
        return seconds
    }
    static let processStart = ContinuousClock.now
}
