import Foundation
import NoxMetrics
import NoxTestSupport
import Testing

@Suite struct HistoryStoreTests {
    static func point(_ t: Int64, cpu: Double, memory: Int64 = 1000) -> HistoryPoint {
        HistoryPoint(
            t: t, cpu_percent: cpu, memory_used_bytes: memory, memory_total_bytes: 4000, disk_used_bytes: 10, disk_total_bytes: 100, load1: cpu / 10,
            load5: 0, load15: 0)
    }

    func withStore(_ body: (HistoryStore) throws -> Void) throws {
        let directory = try TemporaryDirectory()
        try body(try HistoryStore(path: directory.path + "/history.sqlite", retentionDays: 7))
    }

    @Test func finishedMinutesAreAveragedIntoOnePoint() throws {
        try withStore { store in
            let start: Int64 = 1_800_000_000 - 1_800_000_000 % 60
            for second in 0..<60 { try store.record(Self.point(start + Int64(second), cpu: Double(second), memory: Int64(second) * 10)) }
            // The minute still running is left alone.
            try store.record(Self.point(start + 60, cpu: 99))
            #expect(try store.compact(now: start + 61) == 1)
            let (resolution, points) = try store.points(range: 86_400, now: start + 61)
            #expect(resolution == 60)
            #expect(points.count == 1)
            #expect(points[0].t == start)
            #expect(points[0].cpu_percent == 29.5)
            #expect(points[0].memory_used_bytes == 295)
            // Compacting again makes nothing new.
            #expect(try store.compact(now: start + 62) == 0)
        }
    }

    @Test func retentionDropsOldSecondsAndOldMinutes() throws {
        try withStore { store in
            let now: Int64 = 1_800_000_000
            try store.record(Self.point(now - 3 * 3600, cpu: 1))
            try store.record(Self.point(now - 10, cpu: 2))
            try store.record(Self.point(now - 8 * 86_400, cpu: 3))
            try store.compact(now: now)
            let counts = try store.counts()
            // 1-second points: only the one within the hour. 1-minute points: the 3-hours-old
            // one survives as a minute, the 8-days-old one is past retention.
            #expect(counts.fine == 1)
            #expect(counts.coarse == 2)
            let (_, week) = try store.points(range: 7 * 86_400, now: now)
            #expect(week.map(\.cpu_percent) == [1, 2])
            let (resolution, hour) = try store.points(range: 3600, now: now)
            #expect(resolution == 1)
            #expect(hour.map(\.cpu_percent) == [2])
        }
    }

    @Test(arguments: ["", "1h", "15m", "90s", "7d"]) func goodRanges(_ text: String) throws {
        #expect(try HistoryRange.parse(text, maximumDays: 7) > 0)
    }

    @Test(arguments: ["0h", "-1h", "1w", "h", "8d", "99999999999999d", "1.5h", "abc"]) func badRangesAreValidationErrors(_ text: String) {
        #expect(throws: (any Error).self) { try HistoryRange.parse(text, maximumDays: 7) }
    }
}
