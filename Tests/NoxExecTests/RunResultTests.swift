import Foundation
import NoxRuntime
import Testing

@testable import NoxExec

@Suite("Run results")
struct RunResultTests {
    static let allKeys: Set<String> = [
        "id", "language", "status", "exit_code", "signal", "stdout", "stderr", "stdout_truncated", "stderr_truncated",
        "started_at", "finished_at", "duration_ms", "cpu_ms", "memory_peak_bytes", "error", "created_at",
    ]

    static func object(_ result: RunResult) throws -> [String: Any] {
        try #require(JSONSerialization.jsonObject(with: JSON.encoder.encode(result)) as? [String: Any])
    }

    @Test("a queued result sends every key, null where unknown")
    func queuedHasEveryKey() throws {
        let object = try Self.object(RunResult(id: "job_1", language: "python", status: .queued, createdAt: "2026-01-02T03:04:05.678Z"))
        #expect(Set(object.keys) == Self.allKeys)
        for key in ["exit_code", "signal", "started_at", "finished_at", "duration_ms", "cpu_ms", "memory_peak_bytes", "error"] {
            #expect(object[key] is NSNull, "\(key) should be null")
        }
        #expect(object["status"] as? String == "queued")
        #expect(object["stdout"] as? String == "")
        #expect(object["stdout_truncated"] as? Bool == false)
    }

    @Test("a result killed by a signal has a signal name and a null exit code, and round-trips")
    func killedRoundTrip() throws {
        let result = RunResult(
            id: "job_2", language: "c", status: .killed, signal: SignalName.name(for: 9), stdout: "partial", stderrTruncated: true,
            createdAt: "2026-01-02T03:04:05.678Z", startedAt: "2026-01-02T03:04:05.700Z", finishedAt: "2026-01-02T03:04:06.000Z",
            durationMs: 300, cpuMs: 12, memoryPeakBytes: 4096)
        let object = try Self.object(result)
        #expect(Set(object.keys) == Self.allKeys)
        #expect(object["signal"] as? String == "SIGKILL")
        #expect(object["exit_code"] is NSNull)
        #expect(object["memory_peak_bytes"] as? Int == 4096)
        #expect(try JSONDecoder().decode(RunResult.self, from: JSON.encoder.encode(result)) == result)
    }

    @Test("the error message is sent only with status error")
    func errorOnlyWithErrorStatus() throws {
        var result = RunResult(id: "job_3", language: "python", status: .error, createdAt: "2026-01-02T03:04:05.678Z", error: "unit failed")
        #expect(try Self.object(result)["error"] as? String == "unit failed")
        result.status = .failed
        #expect(try Self.object(result)["error"] is NSNull)
    }

    @Test("signal numbers 1 to 31 have names; others none")
    func signalNames() {
        #expect(SignalName.name(for: 1) == "SIGHUP")
        #expect(SignalName.name(for: 9) == "SIGKILL")
        #expect(SignalName.name(for: 11) == "SIGSEGV")
        #expect(SignalName.name(for: 15) == "SIGTERM")
        #expect(SignalName.name(for: 31) == "SIGSYS")
        #expect(SignalName.name(for: 0) == nil)
        #expect(SignalName.name(for: 32) == nil)
        #expect(Set((1...31).compactMap { SignalName.name(for: $0) }).count == 31)
        #expect(SignalName.number(for: "KILL") == 9)
        #expect(SignalName.number(for: "SIGTERM") == 15)
        #expect(SignalName.number(for: "SIGNOPE") == nil)
    }

    @Test("times are RFC 3339 UTC with exactly three fractional digits, and client times parse with any offset")
    func timestamps() throws {
        #expect(RFC3339.string(Date(timeIntervalSince1970: 1_767_323_045.678_9)) == "2026-01-02T03:04:05.678Z")
        #expect(RFC3339.string(Date(timeIntervalSince1970: 1_767_323_045)) == "2026-01-02T03:04:05.000Z")
        #expect(RFC3339.string(Date(timeIntervalSince1970: -0.25)) == "1969-12-31T23:59:59.750Z")
        let parsed = try #require(RFC3339.date("2026-01-02T05:04:05.678+02:00"))
        #expect(RFC3339.string(parsed) == "2026-01-02T03:04:05.678Z")
        #expect(RFC3339.date("2026-01-02T03:04:05Z") == Date(timeIntervalSince1970: 1_767_323_045))
        #expect(RFC3339.date("yesterday") == nil)
        #expect(RFC3339.date("2026-01-02") == nil)
    }

    @Test("captured bytes become text with invalid UTF-8 replaced")
    func textWithReplacement() {
        #expect(RunResult.text(Array("héllo".utf8)) == "héllo")
        #expect(RunResult.text([0x61, 0xFF, 0x62]) == "a\u{FFFD}b")
    }
}
