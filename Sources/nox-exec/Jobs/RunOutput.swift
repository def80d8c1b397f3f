import NIOConcurrencyHelpers

/// The live output of one run, for its SSE subscribers (API.md: `stdout`/`stderr` chunks as they
/// come, then one `status` event; a subscriber joining late first gets everything emitted so far).
///
/// The runner appends raw bytes; each stream keeps at most its cap (1 MiB by default), past
/// which bytes are dropped and the stream is marked truncated while the run goes on. Bytes are
/// decoded as UTF-8 as they come, never splitting a character between two events.
///
/// Every subscriber gets its own unbounded `AsyncStream` buffer, so a slow reader never blocks
/// the runner; a buffer never holds more than the capped output and one result.
/// The text is kept once (per stream, with the order of chunks as offsets) and replayed from there.
public final class RunOutput: Sendable {
    public enum Stream: Sendable {
        case stdout, stderr
    }

    /// The run's output text once it ended, for its result.
    public struct Captured: Sendable, Equatable {
        public var stdout: String
        public var stderr: String
        public var stdoutTruncated: Bool
        public var stderrTruncated: Bool
    }

    public static let defaultLimit = 1 << 20

    public let stdoutLimit: Int
    public let stderrLimit: Int
    private let state = NIOLockedValueBox(State())

    public init(stdoutLimit: Int = RunOutput.defaultLimit, stderrLimit: Int = RunOutput.defaultLimit) {
        self.stdoutLimit = max(0, stdoutLimit)
        self.stderrLimit = max(0, stderrLimit)
    }

    /// Adds what the run wrote to `stream`; bytes past the stream's cap are dropped (and the
    /// stream marked truncated). Ignored once the output is closed.
    public func append(_ stream: Stream, _ bytes: some Collection<UInt8>) {
        let limit = stream == .stdout ? stdoutLimit : stderrLimit
        state.withLockedValue { state in
            guard !state.closed else { return }
            let room = max(0, limit - state[stream].byteCount)
            if bytes.count > room { state[stream].truncated = true }
            let accepted = bytes.prefix(room)
            state[stream].byteCount += accepted.count
            state.emit(stream, state[stream].decoder.decode(accepted))
        }
    }

    /// Ends the output: later appends are ignored, an incomplete character at the end is sent
    /// (as U+FFFD; dropped if the cap cut it). Returns the text for the result. Idempotent.
    @discardableResult
    public func close() -> Captured {
        state.withLockedValue { state in
            state.close()
            return state.captured
        }
    }

    /// Closes the output, sends `result` as the final `status` event to every subscriber and
    /// ends their streams. Later calls do nothing (the first result is the result).
    public func finish(result: RunResult) {
        let ended = state.withLockedValue { state -> [Subscriber] in
            state.close()
            guard state.result == nil else { return [] }
            state.result = result
            state.finishedAt = .now
            let subscribers = Array(state.subscribers.values)
            state.subscribers = [:]
            for subscriber in subscribers { subscriber.yield(.status(result)) }
            return subscribers
        }
        // Outside the lock: `finish()` runs the stream's onTermination, which takes the lock.
        for subscriber in ended { subscriber.finish() }
    }

    /// Everything emitted so far, then the live events, then the `status` event; then the stream ends.
    public func subscribe() -> AsyncStream<RunEvent> {
        let (stream, continuation) = AsyncStream.makeStream(of: RunEvent.self, bufferingPolicy: .unbounded)
        let id = state.withLockedValue { state in
            state.lastSubscriber += 1
            return state.lastSubscriber
        }
        continuation.onTermination = { [weak self] _ in
            _ = self?.state.withLockedValue { $0.subscribers.removeValue(forKey: id) }
        }
        let ended = state.withLockedValue { state -> Bool in
            for event in state.replay() { continuation.yield(event) }
            if let result = state.result {
                continuation.yield(.status(result))
                return true
            }
            state.subscribers[id] = continuation
            return false
        }
        if ended { continuation.finish() }
        return stream
    }

    /// The captured output so far (all of it once closed).
    public var captured: Captured { state.withLockedValue { $0.captured } }

    /// The final result, once `finish(result:)` was called.
    public var result: RunResult? { state.withLockedValue { $0.result } }

    /// How many subscribers are listening (for metrics and tests).
    public var subscriberCount: Int { state.withLockedValue { $0.subscribers.count } }

    /// When `finish(result:)` was called: `RunOutputs` keeps a finished output a while after.
    var finishedAt: ContinuousClock.Instant? { state.withLockedValue { $0.finishedAt } }

    // MARK: - State

    typealias Subscriber = AsyncStream<RunEvent>.Continuation

    struct StreamState {
        var text = ""
        var byteCount = 0
        var truncated = false
        var decoder = UTF8StreamDecoder()
    }

    /// One event's text: `range` is in UTF-8 offsets of its stream's text.
    struct Segment {
        var stream: Stream
        var range: Range<Int>
    }

    struct State {
        var stdout = StreamState()
        var stderr = StreamState()
        /// The chunks in the order they came; adjacent chunks of one stream are merged.
        var segments: [Segment] = []
        var closed = false
        var result: RunResult?
        var finishedAt: ContinuousClock.Instant?
        var subscribers: [UInt64: Subscriber] = [:]
        var lastSubscriber: UInt64 = 0

        /// In place (`_modify`): a get/set pair would copy the text on every append, quadratic in the output.
        subscript(stream: Stream) -> StreamState {
            get { stream == .stdout ? stdout : stderr }
            _modify {
                if stream == .stdout { yield &stdout } else { yield &stderr }
            }
        }

        var captured: Captured {
            Captured(stdout: stdout.text, stderr: stderr.text, stdoutTruncated: stdout.truncated, stderrTruncated: stderr.truncated)
        }

        /// Records a decoded chunk and sends it to every subscriber.
        mutating func emit(_ stream: Stream, _ text: String) {
            guard !text.isEmpty else { return }
            let start = self[stream].text.utf8.count
            self[stream].text += text
            let end = start + text.utf8.count
            if let last = segments.last, last.stream == stream, last.range.upperBound == start {
                segments[segments.count - 1].range = last.range.lowerBound..<end
            } else {
                segments.append(Segment(stream: stream, range: start..<end))
            }
            let event: RunEvent = stream == .stdout ? .stdout(text) : .stderr(text)
            for (id, subscriber) in subscribers {
                if case .terminated = subscriber.yield(event) { subscribers[id] = nil }
            }
        }

        mutating func close() {
            guard !closed else { return }
            closed = true
            emit(.stdout, stdout.decoder.finish(discard: stdout.truncated))
            emit(.stderr, stderr.decoder.finish(discard: stderr.truncated))
        }

        /// The events emitted so far (merged where they were adjacent).
        func replay() -> [RunEvent] {
            segments.map { segment in
                let text = self[segment.stream].text.utf8
                let start = text.index(text.startIndex, offsetBy: segment.range.lowerBound)
                let end = text.index(start, offsetBy: segment.range.count)
                // Chunk boundaries are character boundaries, so the slice is whole text.
                let chunk = String(Substring(text[start..<end]))
                return segment.stream == .stdout ? .stdout(chunk) : .stderr(chunk)
            }
        }
    }
}
