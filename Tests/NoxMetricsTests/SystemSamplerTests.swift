import Foundation
import NIOConcurrencyHelpers
import NoxMetrics
import NoxTestSupport
import Testing

/// A table of unit states standing in for systemd; counts the reads.
final class FakeUnits: UnitStateSource {
    let table: [String: UnitState]
    let reads = NIOLockedValueBox(0)
    init(_ states: [UnitState]) { table = Dictionary(uniqueKeysWithValues: states.map { ($0.name, $0) }) }

    func states(of units: [String], withUsage: Bool) async -> [UnitState] {
        reads.withLockedValue { $0 += units.count }
        return units.map { table[$0] ?? UnitState(name: $0, activeState: "inactive", loadState: "not-found") }
    }

    func unitNames(matching patterns: [String]) async -> [String] {
        table.keys.filter { $0.hasPrefix("nox-user-") && $0.hasSuffix(".slice") }.sorted()
    }
}

@Suite struct SystemSamplerTests {
    static func proc() throws -> TemporaryDirectory {
        let directory = try TemporaryDirectory()
        try "cpu  100 0 100 800 0 0 0 0 0 0\ncpu0 50 0 50 400 0 0 0 0 0 0\n".write(toFile: directory.path + "/stat", atomically: true, encoding: .utf8)
        try "MemTotal:       1000 kB\nMemFree:         100 kB\nMemAvailable:    400 kB\nSwapTotal:         0 kB\nSwapFree:          0 kB\n"
            .write(toFile: directory.path + "/meminfo", atomically: true, encoding: .utf8)
        try "0.50 0.40 0.30 1/100 999\n".write(toFile: directory.path + "/loadavg", atomically: true, encoding: .utf8)
        try "1234.56 100.00\n".write(toFile: directory.path + "/uptime", atomically: true, encoding: .utf8)
        return directory
    }

    @Test func snapshotCombinesHostUnitsAndSlices() async throws {
        let proc = try Self.proc()
        defer { proc.remove() }
        let units = FakeUnits([
            UnitState(name: "nox-files.service", activeState: "active", subState: "running", memoryBytes: 5_000_000, cpuNanoseconds: 2_500_000_000, tasks: 7),
            UnitState(name: "nox-files.socket", activeState: "active"), UnitState(name: "nox-files-varlink.socket", activeState: "active"),
            UnitState(name: "nox-exec.service", activeState: "failed", subState: "failed"),
            UnitState(name: "nox-exec.socket", activeState: "active"), UnitState(name: "nox-exec-varlink.socket", activeState: "active"),
            UnitState(name: "nox-user-alice.slice", activeState: "active", memoryBytes: 1024, cpuNanoseconds: 3_000_000, tasks: 2),
        ])
        let sampler = SystemSampler(
            host: HostReader(procRoot: proc.path), units: units,
            daemons: [NoxDaemon(name: "files", varlinkPath: "/nonexistent"), NoxDaemon(name: "exec", varlinkPath: "/nonexistent")],
            stateDirectory: proc.path)
        let snapshot = await sampler.sample()
        #expect(snapshot.memory.total_bytes == 1_024_000 && snapshot.memory.used_bytes == 614_400)
        #expect(snapshot.load == [0.5, 0.4, 0.3] && snapshot.uptime_s == 1234)
        #expect(snapshot.disk.total_bytes > 0)
        let files = try #require(snapshot.services["files"])
        #expect(files.status == "ok" && files.unit == "nox-files.service" && files.sub_state == "running")
        #expect(files.memory_bytes == 5_000_000 && files.cpu_ms == 2500 && files.tasks == 7)
        #expect(snapshot.services["exec"]?.status == "failed")
        let alice = try #require(snapshot.slices["alice"])
        #expect(snapshot.slices.count == 1)
        #expect(alice.unit == "nox-user-alice.slice" && alice.memory_bytes == 1024 && alice.cpu_ms == 3 && alice.tasks == 2)
        // Slices are read again only after the slice interval: the next sample reuses them.
        let reads = units.reads.withLockedValue { $0 }
        _ = await sampler.sample()
        #expect(units.reads.withLockedValue { $0 } - reads == 6)
        // Unset usage is null in the JSON, not missing.
        let json = String(decoding: try JSONEncoder().encode(snapshot.services["exec"]), as: UTF8.self)
        #expect(json.contains("\"memory_bytes\":null"))
    }

    @Test func cpuShareBetweenTwoReadings() {
        let old = HostReader.CPUTimes(user: 100, system: 100, idle: 800, iowait: 0, total: 1000)
        let new = HostReader.CPUTimes(user: 150, system: 150, idle: 900, iowait: 0, total: 1200)
        let cpu = HostReader.cpu(from: old, to: new, cores: 2)
        #expect(cpu.usage_percent == 50 && cpu.user_percent == 25 && cpu.system_percent == 25)
        #expect(HostReader.cpu(from: nil, to: new, cores: 2).usage_percent == 0)
    }
}
