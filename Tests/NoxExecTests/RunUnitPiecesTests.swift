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
        #expect(UsageReport.parse(v1) == UsageReport(memoryPeakBytes: 104_857_600, oomKills: 1, cpuNanoseconds: 123_456_789))
        let v2 = "2048\n--nox--\nlow 0\nhigh 0\nmax 3\noom 1\noom_kill 0\n--nox--\nusage_usec 1500\nuser_usec 1000\n--nox--\n"
        #expect(UsageReport.parse(v2) == UsageReport(memoryPeakBytes: 2048, oomKills: 0, cpuNanoseconds: 1_500_000))
        // Hybrid v1: memory from the memory hierarchy, CPU time from the unified hierarchy's cpu.stat.
        let hybrid = "4096\n--nox--\noom_kill_disable 0\nunder_oom 0\noom_kill 0\n--nox--\nusage_usec 81512\nuser_usec 69868\n--nox--\n"
        #expect(UsageReport.parse(hybrid) == UsageReport(memoryPeakBytes: 4096, oomKills: 0, cpuNanoseconds: 81_512_000))
        // A counter file that could not be read leaves its value unknown, not zero.
        #expect(UsageReport.parse("--nox--\n--nox--\n--nox--\n") == UsageReport(memoryPeakBytes: nil, oomKills: 0, cpuNanoseconds: nil))
    }

    @Test func usageReportCommandKeepsPathsOutOfTheScript() {
        let command = UsageReport.command(report: "/run/nox-exec/j.usage", sources: ["/a b", "/c;d"])
        #expect(command[0] == "/bin/sh" && command[1] == "-c")
        #expect(!command[2].contains("/a b") && !command[2].contains("/c;d"))
        #expect(Array(command[4...]) == ["/run/nox-exec/j.usage", "/a b", "/c;d"])
    }

    @Test func aCompileStepIsTheUnitsStartPreWithItsOwnTimeLimit() {
        func unit(compile: [String]?) -> RunUnit {
            RunUnit(
                name: "nox-run-1.service", slice: "nox-user-alice.slice", dynamicUser: "noxr-x", sandboxPath: "/var/lib/nox/users/alice",
                codeDirectory: nil, usageReportCommand: ["/bin/true"], compile: compile, compileTimeoutMicroseconds: 30_000_000,
                command: ["/tmp/nox-program", "a b"], environment: [], memoryMaxBytes: 1 << 28, cpuQuotaPerSecond: 1_000_000, tasksMax: 64,
                runtimeMaxMicroseconds: 5_000_000, fileSizeLimitBytes: 1 << 20, network: false, memoryDenyWriteExecute: true,
                standardInput: 0, standardOutput: 1, standardError: 2)
        }
        let compiled = unit(compile: ["/usr/bin/gcc", "-o", "/tmp/nox-program", "/var/lib/nox/code/main.c"]).properties
        let names = compiled.map(\.0)
        #expect(names.contains("ExecStartPreEx") && names.contains("TimeoutStartUSec"))
        guard case .uint64(let timeout)? = compiled.first(where: { $0.0 == "TimeoutStartUSec" })?.1 else {
            Issue.record("no TimeoutStartUSec")
            return
        }
        #expect(timeout == 30_000_000)
        guard case .execCommandsWithFlags(let main)? = compiled.first(where: { $0.0 == "ExecStartEx" })?.1 else {
            Issue.record("no ExecStartEx")
            return
        }
        // The user's arguments stay separate argv items of the program, never part of a shell script.
        #expect(main.count == 1 && main[0].argv == ["/tmp/nox-program", "a b"])
        let interpreted = unit(compile: nil).properties.map(\.0)
        #expect(!interpreted.contains("ExecStartPreEx") && !interpreted.contains("TimeoutStartUSec"))
    }

    @Test func theCompileStepEndsTheRunWhenTheProgramNeverRan() {
        let none = UsageReport(oomKills: 0)
        // gcc failed: its exit status is the run's.
        #expect(UnitRunner.report(result: "exit-code", code: 0, status: 0, compile: (1, 1), stopped: false, usage: none).end == .exited(1))
        // Compiling ran out of TimeoutStartSec=.
        #expect(UnitRunner.report(result: "timeout", code: 0, status: 0, compile: (2, 9), stopped: false, usage: none).end == .timedOut)
        // The compiler was killed (by the memory limit: the OOM counter says so).
        let oom = UnitRunner.report(result: "signal", code: 0, status: 0, compile: (2, 9), stopped: false, usage: UsageReport(oomKills: 1))
        #expect(oom.end == .signaled(9) && oom.oomKilled)
        // The program ran: its own end counts, whatever the compile step did.
        #expect(UnitRunner.report(result: "exit-code", code: 1, status: 3, compile: (1, 0), stopped: false, usage: none).end == .exited(3))
        #expect(UnitRunner.report(result: "resources", code: 0, status: 0, stopped: false, usage: none).end == .failedToStart("systemd could not start the run (resources)."))
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
