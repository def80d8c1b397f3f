import Foundation
import NoxMetrics
import NoxTestSupport
import Testing

@Suite struct CgroupUsageTests {
    static func write(_ text: String, _ path: String) throws {
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try text.write(toFile: path, atomically: true, encoding: .utf8)
    }

    @Test func hybridV1TakesCPUFromTheUnifiedHierarchy() throws {
        let root = try TemporaryDirectory()
        defer { root.remove() }
        let group = "/nox.slice/nox-user.slice/nox-user-alice.slice"
        try Self.write("123456\n", root.path + "/memory" + group + "/memory.usage_in_bytes")
        try Self.write("usage_usec 2500\nuser_usec 2000\nsystem_usec 500\n", root.path + "/unified" + group + "/cpu.stat")
        try Self.write("3\n", root.path + "/pids" + group + "/pids.current")
        let usage = CgroupUsage.read(controlGroup: group, root: root.path)
        #expect(usage == .init(memoryBytes: 123_456, cpuNanoseconds: 2_500_000, tasks: 3))
    }

    @Test func v2ReadsTheUnitsOwnGroup() throws {
        let root = try TemporaryDirectory()
        defer { root.remove() }
        try Self.write("cpu memory pids\n", root.path + "/cgroup.controllers")
        try Self.write("4096\n", root.path + "/nox.slice/nox-files.service/memory.current")
        try Self.write("usage_usec 7\n", root.path + "/nox.slice/nox-files.service/cpu.stat")
        let usage = CgroupUsage.read(controlGroup: "/nox.slice/nox-files.service", root: root.path)
        #expect(usage == .init(memoryBytes: 4096, cpuNanoseconds: 7000, tasks: nil))
    }

    @Test func aGroupNameLeavingTheHierarchyReadsNothing() {
        #expect(CgroupUsage.read(controlGroup: "/../../etc", root: "/sys/fs/cgroup") == .init(memoryBytes: nil, cpuNanoseconds: nil, tasks: nil))
    }
}
