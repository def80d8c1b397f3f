import NIOConcurrencyHelpers

/// A token bucket per key (a user's `requests_per_minute`): capacity = the per-minute limit, refilled
/// continuously. Every daemon keeps one in memory: each enforces the limit on its own traffic.
public final class RateLimiter: Sendable {
    struct Bucket {
        var tokens: Double
        var updated: Double
    }
    private let buckets = NIOLockedValueBox<[String: Bucket]>([:])
    private let clock: @Sendable () -> Double

    /// - Parameter clock: seconds on a monotonic clock (injectable for tests).
    public init(clock: @escaping @Sendable () -> Double = RateLimiter.monotonicSeconds) {
        self.clock = clock
    }

    /// Takes one token for `key`; returns nil when allowed, else the seconds until one is available.
    public func acquire(_ key: String, perMinute limit: Int) -> Int? {
        let now = clock()
        let capacity = Double(max(1, limit))
        let refillPerSecond = capacity / 60
        return buckets.withLockedValue { buckets in
            var bucket = buckets[key] ?? Bucket(tokens: capacity, updated: now)
            bucket.tokens = min(capacity, bucket.tokens + (now - bucket.updated) * refillPerSecond)
            bucket.updated = now
            defer {
                buckets[key] = bucket
                // Forget idle keys now and then so memory stays bounded.
                if buckets.count > 10_000 {
                    buckets = buckets.filter { now - $0.value.updated < 120 }
                }
            }
            if bucket.tokens >= 1 {
                bucket.tokens -= 1
                return nil
            }
            return Int(((1 - bucket.tokens) / refillPerSecond).rounded(.up))
        }
    }

    public static let monotonicSeconds: @Sendable () -> Double = {
        let (seconds, attoseconds) = (ContinuousClock.now - epoch).components
        return Double(seconds) + Double(attoseconds) / 1e18
    }
    private static let epoch = ContinuousClock.now
}
