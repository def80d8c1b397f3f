import NIOConcurrencyHelpers
import NoxRuntime

/// Backs off failed logins per username and per client address.
///
/// After `threshold` failures within the window, each further failure doubles a block (2 s, 4 s,
/// 8 s, … up to the cap) during which every attempt for that key is refused with 429 — even one
/// with the right password, so guessing cannot continue in the background. Memory only: a restart
/// forgets, which errs towards letting people in.
///
/// A success clears the username's record and the address's: the per-address limit is there
/// against spraying many accounts from one place, while many honest people (or a test suite)
/// behind one address fail now and then between successful sign-ins. Each account keeps its
/// own strict limit regardless.
public final class LoginThrottle: Sendable {
    struct Record {
        var failures: [UnixTime] = []
        var blockedUntil: UnixTime = 0
    }
    struct Policy {
        var threshold: Int
        var maxBlock: Int
    }

    private let records = NIOLockedValueBox<[String: Record]>([:])
    private let usernamePolicy: Policy
    private let addressPolicy: Policy
    private let window: Int

    public init(configuration: NoxConfiguration.AuthConfiguration) {
        usernamePolicy = Policy(threshold: configuration.usernameFailuresBeforeBackoff, maxBlock: configuration.usernameBackoffMax)
        addressPolicy = Policy(threshold: configuration.addressFailuresBeforeBackoff, maxBlock: configuration.addressBackoffMax)
        window = configuration.failureWindow
    }

    /// Seconds to wait before `username` may try again from `address`, or nil when allowed now.
    public func retryAfter(username: String, address: String, now: UnixTime) -> Int? {
        records.withLockedValue { records in
            let waits = [records["u:" + username], records["a:" + address]].compactMap { record -> Int? in
                guard let record, record.blockedUntil > now else { return nil }
                return record.blockedUntil - now
            }
            return waits.max()
        }
    }

    public func recordFailure(username: String, address: String, now: UnixTime) {
        records.withLockedValue { records in
            Self.fail(&records, key: "u:" + username, policy: usernamePolicy, window: window, now: now)
            Self.fail(&records, key: "a:" + address, policy: addressPolicy, window: window, now: now)
            if records.count > 100_000 {
                records = records.filter { $0.value.blockedUntil > now || ($0.value.failures.last ?? 0) > now - window }
            }
        }
    }

    public func recordSuccess(username: String, address: String) {
        records.withLockedValue { records in
            // Never called while either is blocked: login checks `retryAfter` first.
            records.removeValue(forKey: "u:" + username)
            records.removeValue(forKey: "a:" + address)
        }
    }

    static func fail(_ records: inout [String: Record], key: String, policy: Policy, window: Int, now: UnixTime) {
        var record = records[key] ?? Record()
        record.failures = record.failures.filter { $0 > now - window } + [now]
        let excess = record.failures.count - policy.threshold
        if excess >= 0 {
            let block = min(policy.maxBlock, 2 << min(excess, 20))
            record.blockedUntil = max(record.blockedUntil, now + block)
        }
        records[key] = record
    }
}
