import Foundation
import Testing

@testable import NoxExec

@Suite("Run output")
struct RunOutputTests {
    static let result = RunResult(id: "job_1", language: "python", status: .succeeded, exitCode: 0, createdAt: "2026-01-02T03:04:05.678Z")

    /// Every event of `stream` until it ends.
    static func collect(_ stream: AsyncStream<RunEvent>) async -> [RunEvent] {
        var events: [RunEvent] = []
        for await event in stream { events.append(event) }
        return events
    }

    static func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

    @Test("each stream keeps at most its cap; past it bytes are dropped and the flag set")
    func caps() async {
        let output = RunOutput(stdoutLimit: 5, stderrLimit: 100)
        let subscriber = output.subscribe()
        output.append(.stdout, Self.bytes("hel"))
        output.append(.stdout, Self.bytes("lo world"))
        output.append(.stdout, Self.bytes("more"))
        output.append(.stderr, Self.bytes("warning"))
        #expect(output.captured == RunOutput.Captured(stdout: "hello", stderr: "warning", stdoutTruncated: true, stderrTruncated: false))
        output.finish(result: Self.result)
        #expect(await Self.collect(subscriber) == [.stdout("hel"), .stdout("lo"), .stderr("warning"), .status(Self.result)])
        #expect(RunOutput().stdoutLimit == 1 << 20 && RunOutput().stderrLimit == 1 << 20)
    }

    @Test("a cap that cuts a character drops its start instead of sending U+FFFD")
    func capInsideCharacter() {
        let output = RunOutput(stdoutLimit: 2)
        output.append(.stdout, Self.bytes("aé"))
        #expect(output.close() == RunOutput.Captured(stdout: "a", stderr: "", stdoutTruncated: true, stderrTruncated: false))
    }

    @Test("a late subscriber first gets everything emitted so far, in order, then live events and the status")
    func lateSubscriberReplay() async {
        let output = RunOutput()
        output.append(.stdout, Self.bytes("a"))
        output.append(.stdout, Self.bytes("b"))
        output.append(.stderr, Self.bytes("oops"))
        output.append(.stdout, Self.bytes("c"))
        let late = output.subscribe()
        output.append(.stdout, Self.bytes("d"))
        output.finish(result: Self.result)
        // Adjacent chunks of one stream come merged in the replay.
        #expect(await Self.collect(late) == [.stdout("ab"), .stderr("oops"), .stdout("c"), .stdout("d"), .status(Self.result)])

        // After the end: the whole replay and the status, then the stream ends.
        let after = await Self.collect(output.subscribe())
        #expect(after == [.stdout("ab"), .stderr("oops"), .stdout("cd"), .status(Self.result)])
    }

    @Test("many subscribers each get every event; a reader that never reads does not hold up the writer")
    func multipleSubscribers() async {
        let output = RunOutput()
        let first = output.subscribe()
        let second = output.subscribe()
        let idle = output.subscribe()
        #expect(output.subscriberCount == 3)
        for index in 0..<1000 { output.append(index % 2 == 0 ? .stdout : .stderr, Self.bytes("line \(index)\n")) }
        output.finish(result: Self.result)
        #expect(output.subscriberCount == 0)
        let events = await Self.collect(first)
        #expect(events.count == 1001)
        #expect(events == (await Self.collect(second)))
        #expect(events == (await Self.collect(idle)))
        #expect(events.last == .status(Self.result))
    }

    @Test("a subscriber that goes away is forgotten")
    func subscriberGoesAway() async throws {
        let output = RunOutput()
        let reader = Task { await Self.collect(output.subscribe()) }
        let deadline = ContinuousClock.now + .seconds(20)  // wall time: other suites may hold the cooperative threads
        while output.subscriberCount == 0 && ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(2)) }
        #expect(output.subscriberCount == 1)
        reader.cancel()
        _ = await reader.value
        output.append(.stdout, Self.bytes("x"))
        #expect(output.subscriberCount == 0)
    }

    @Test("a character split across appends is never cut between two events")
    func utf8Boundary() async {
        let output = RunOutput()
        let subscriber = output.subscribe()
        let e = Self.bytes("é")  // C3 A9
        output.append(.stdout, [UInt8(ascii: "h")] + [e[0]])
        output.append(.stdout, [e[1]] + Self.bytes("!"))
        let emoji = Self.bytes("🙂")  // four bytes, in three appends
        output.append(.stderr, emoji[0..<1])
        output.append(.stderr, emoji[1..<3])
        output.append(.stderr, emoji[3..<4])
        output.append(.stdout, [0xFF, UInt8(ascii: "z")])
        output.append(.stdout, [0xE2, 0x82])  // the run ends inside a character
        output.finish(result: Self.result)
        let events = await Self.collect(subscriber)
        #expect(events == [.stdout("h"), .stdout("é!"), .stderr("🙂"), .stdout("\u{FFFD}z"), .stdout("\u{FFFD}"), .status(Self.result)])
        #expect(output.captured.stdout == "hé!\u{FFFD}z\u{FFFD}")
    }

    @Test("the stream decoder holds back exactly an incomplete trailing sequence")
    func incompleteTails() {
        #expect(UTF8StreamDecoder.incompleteTailLength([]) == 0)
        #expect(UTF8StreamDecoder.incompleteTailLength(Self.bytes("abc")) == 0)
        #expect(UTF8StreamDecoder.incompleteTailLength(Self.bytes("aé")) == 0)
        #expect(UTF8StreamDecoder.incompleteTailLength([0x61, 0xC3]) == 1)
        #expect(UTF8StreamDecoder.incompleteTailLength([0xE2, 0x82]) == 2)
        #expect(UTF8StreamDecoder.incompleteTailLength([0xF0, 0x9F, 0x99]) == 3)
        #expect(UTF8StreamDecoder.incompleteTailLength([0x80, 0x80]) == 0)
        #expect(UTF8StreamDecoder.incompleteTailLength([0xFF]) == 0)
    }

    @Test("appends after the output closed are ignored")
    func closedIgnoresAppends() async {
        let output = RunOutput()
        output.append(.stdout, Self.bytes("kept"))
        output.finish(result: Self.result)
        output.append(.stdout, Self.bytes("late"))
        var other = Self.result
        other.status = .failed
        output.finish(result: other)
        #expect(output.captured.stdout == "kept")
        #expect(output.result == Self.result)
        #expect(await Self.collect(output.subscribe()) == [.stdout("kept"), .status(Self.result)])
    }

    @Test("events render as SSE text: a JSON data line per chunk, the result as JSON for the status")
    func sseText() throws {
        #expect(RunEvent.stdout("hi \"there\"\nnext").sseText() == "event: stdout\ndata: {\"data\":\"hi \\\"there\\\"\\nnext\"}\n\n")
        #expect(RunEvent.stderr("é/\u{1}").sseText() == "event: stderr\ndata: {\"data\":\"é/\\u0001\"}\n\n")
        let status = RunEvent.status(Self.result).sseText()
        #expect(status.hasPrefix("event: status\ndata: {") && status.hasSuffix("}\n\n"))
        let lines = status.split(separator: "\n", omittingEmptySubsequences: false)
        #expect(lines.count == 4)
        let json = try #require(lines[1].dropFirst("data: ".count).data(using: .utf8))
        #expect(try JSONDecoder().decode(RunResult.self, from: json) == Self.result)
    }
}

extension RunOutputTests {
    @Test("a megabyte written two bytes at a time is captured quickly (appends are not quadratic)")
    func manySmallAppends() {
        let output = RunOutput(stdoutLimit: 1 << 20)
        let clock = ContinuousClock()
        let elapsed = clock.measure {
            for _ in 0...(1 << 19) { output.append(.stdout, [0xC3, 0xA9]) }
        }
        let captured = output.close()
        #expect(captured.stdout.utf8.count == 1 << 20 && captured.stdoutTruncated)
        // About 1 s here in a debug build; copying the text on each append took 20 times as long.
        #expect(elapsed < .seconds(5))
    }
}
