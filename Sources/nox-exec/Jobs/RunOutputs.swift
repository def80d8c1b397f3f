import NIOConcurrencyHelpers

/// The live outputs of current runs, by job id, for `GET /api/jobs/{id}/events`.
///
/// A finished output stays `retention` (60 s by default) after its `finish(result:)`, so a
/// subscriber arriving just after the end still gets the chunks as they came; after that it is
/// dropped and the daemon replays the stored result instead. Expired entries are dropped on
/// every `add` and `get`, and by `purgeExpired()` (call it now and then when there is no traffic).
public final class RunOutputs: Sendable {
    public let retention: Duration
    private let outputs = NIOLockedValueBox([String: RunOutput]())

    public init(retention: Duration = .seconds(60)) {
        self.retention = retention
    }

    public func add(_ output: RunOutput, for jobID: String) {
        outputs.withLockedValue { outputs in
            purge(&outputs)
            outputs[jobID] = output
        }
    }

    /// The output of job `jobID`, if it is running or finished less than `retention` ago.
    public func get(_ jobID: String) -> RunOutput? {
        outputs.withLockedValue { outputs in
            purge(&outputs)
            return outputs[jobID]
        }
    }

    @discardableResult
    public func remove(_ jobID: String) -> RunOutput? {
        outputs.withLockedValue { $0.removeValue(forKey: jobID) }
    }

    /// Drops outputs finished more than `retention` ago; returns how many.
    @discardableResult
    public func purgeExpired() -> Int {
        outputs.withLockedValue { purge(&$0) }
    }

    /// How many outputs are held (running and recently finished).
    public var count: Int { outputs.withLockedValue { $0.count } }

    @discardableResult
    private func purge(_ outputs: inout [String: RunOutput]) -> Int {
        let now = ContinuousClock.now
        let expired = outputs.filter { _, output in output.finishedAt.map { $0 + retention <= now } ?? false }.map(\.key)
        for id in expired { outputs[id] = nil }
        return expired.count
    }
}
