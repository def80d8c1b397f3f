import Testing

@testable import NoxExec

/// The pure parts of turning a job into a unit.
@Suite struct RunUnitPiecesTests {
    @Test func sliceNestingFollowsTheDashes() {
        #expect(
            UsageReport.cgroupPath(slice: "nox-user-alice.slice", unit: "nox-run-1.service")
                == "/nox.slice/nox-user.slice/nox-user-alice.slice/nox-run-1.service")
    }

    @Test func usageReportParsesV1AndV2() {
        let v1 = "104857600\n--nox--\noom_kill_disable 0\nunder_oom 0\noom_kill 1\n--nox--\n123456789\n--nox--\n"
        #expect(UsageReport.parse(v1, unified: false) == UsageReport(memoryPeakBytes: 104_857_600, oomKills: 1, cpuNanoseconds: 123_456_789))
        let v2 = "2048\n--nox--\nlow 0\nhigh 0\nmax 3\noom 1\noom_kill 0\n--nox--\nusage_usec 1500\nuser_usec 1000\n--nox--\n"
        #expect(UsageReport.parse(v2, unified: true) == UsageReport(memoryPeakBytes: 2048, oomKills: 0, cpuNanoseconds: 1_500_000))
        // A counter file that could not be read leaves its value unknown, not zero.
        #expect(UsageReport.parse("--nox--\n--nox--\n--nox--\n", unified: false) == UsageReport(memoryPeakBytes: nil, oomKills: 0, cpuNanoseconds: nil))
    }

    @Test func usageReportCommandKeepsPathsOutOfTheScript() {
        let command = UsageReport.command(report: "/run/nox-exec/j.usage", sources: ["/a b", "/c;d"])
        #expect(command[0] == "/bin/sh" && command[1] == "-c")
        #expect(!command[2].contains("/a b") && !command[2].contains("/c;d"))
        #expect(Array(command[4...]) == ["/run/nox-exec/j.usage", "/a b", "/c;d"])
    }

    @Test func compiledLanguagesRunThroughAFixedScriptWithArgumentsAsPositionals() {
        let argv = RunCommand.argv(compile: ["/usr/bin/gcc", "-o", "/tmp/p", "/code/it's.c"], run: ["/tmp/p"], args: ["a b", "; rm -rf /"])
        #expect(argv[0] == "/bin/sh" && argv[1] == "-c")
        #expect(argv[2] == #"'/usr/bin/gcc' '-o' '/tmp/p' '/code/it'\''s.c' && exec '/tmp/p' "$@""#)
        #expect(Array(argv[3...]) == ["nox-run", "a b", "; rm -rf /"])
        #expect(RunCommand.argv(compile: nil, run: ["/usr/bin/python3", "main.py"], args: ["x"]) == ["/usr/bin/python3", "main.py", "x"])
    }

    @Test func identitiesAreStablePerUserAndShortEnough() {
        let alice = RunIdentity.dynamicUser(for: "alice")
        #expect(alice == RunIdentity.dynamicUser(for: "alice"))
        #expect(alice != RunIdentity.dynamicUser(for: "bob"))
        #expect(alice.count <= 31 && alice.hasPrefix("noxr-"))
        #expect(RunIdentity.unitName(jobID: "job_abc123") == "nox-run-abc123.service")
    }

    @Test func unitObjectPathsAreEscapedLikeSystemdDoes() {
        #expect(RunUnit.objectPath(of: "nox-run-ab.service") == "/org/freedesktop/systemd1/unit/nox_2drun_2dab_2eservice")
    }
}
