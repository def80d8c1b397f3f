import Foundation
import Testing

@testable import NoxCtl

@Suite struct HostTests {
    @Test func runExitStatuses() throws {
        func status(_ text: String) throws -> Int32 { RunOutcome.exitStatus(try JSONValue.parse(Data(text.utf8))) }
        #expect(try status(#"{"status":"succeeded","exit_code":0}"#) == 0)
        #expect(try status(#"{"status":"failed","exit_code":3}"#) == 3)
        #expect(try status(#"{"status":"timeout","exit_code":null}"#) == 124)
        #expect(try status(#"{"status":"oom"}"#) == 137)
        #expect(try status(#"{"status":"killed","signal":"SIGTERM"}"#) == 143)
        #expect(try status(#"{"status":"cancelled"}"#) == 130)
        #expect(try status(#"{"status":"error"}"#) == 125)
        #expect(RunOutcome.signalNumber("KILL") == 9 && RunOutcome.signalNumber("SIGSYS") == 31)
    }

    @Test func journalArguments() {
        var query = JournalQuery()
        #expect(query.arguments == ["--no-hostname", "--unit", "nox-*", "--output", "short-iso-precise"])
        query.units = ["exec", "nox-files.socket", "nox-auth"]
        query.user = "alice"
        query.job = "j1"
        query.request = "r1"
        query.since = "30m"
        query.until = "today"
        query.follow = true
        query.json = true
        #expect(
            query.arguments == [
                "--no-hostname", "--unit", "nox-exec.service", "--unit", "nox-files.socket", "--unit", "nox-auth.service",
                "--since", "-30min", "--until", "today", "--follow", "--output", "json", "NOX_USER=alice", "NOX_JOB_ID=j1", "NOX_REQUEST_ID=r1",
            ])
    }

    @Test func systemctlShowIsParsed() {
        let output = """
            Id=nox-auth.service
            LoadState=loaded
            ActiveState=active
            SubState=running
            UnitFileState=static
            MainPID=42
            MemoryCurrent=1048576
            Description=Nox auth

            Id=nox-exec-varlink.socket
            LoadState=loaded
            ActiveState=active
            SubState=listening
            UnitFileState=enabled
            MainPID=0
            MemoryCurrent=[not set]
            Description=x

            """
        let units = SystemdUnits.parse(show: output)
        #expect(units.map(\.id) == ["nox-auth.service", "nox-exec-varlink.socket"])
        #expect(units[0].mainPID == 42 && units[0].memory == 1_048_576 && units[1].memory == nil)
        #expect(units.map(\.daemon) == ["auth", "exec"])
        #expect(
            SystemdUnits.parse(list: "nox-auth.service static -\nnox-run@.service static -\nnox.target enabled enabled\n") == [
                "nox-auth.service", "nox.target",
            ])
    }

    @Test func statusJoinsUnitsWithHealth() throws {
        let health = try JSONValue.parse(
            Data(#"{"status":"degraded","services":{"auth":{"status":"ok","version":"0.1.0"},"exec":{"status":"failed"}}}"#.utf8))
        let units = [
            UnitState(
                id: "nox-auth.service", loadState: "loaded", activeState: "active", subState: "running", unitFileState: "static", mainPID: 7,
                memory: nil, description: ""),
            UnitState(
                id: "nox-auth.socket", loadState: "loaded", activeState: "active", subState: "listening", unitFileState: "enabled", mainPID: 0,
                memory: nil, description: ""),
        ]
        let report = StatusReport(units: units, health: health, healthProblem: nil, runningRuns: 2)
        let text = report.table.render(Terminal(colors: false, progress: false))
        #expect(text.contains("ok (0.1.0)"))
        #expect(!report.healthy)
        #expect(report.json["units"].array?[1]["health"] == .null)
        let without = StatusReport(units: units, health: nil, healthProblem: "no socket", runningRuns: 0)
        #expect(without.healthy && without.summary(Terminal(colors: false, progress: false)).contains("unavailable (no socket)"))
    }

    @Test func subprocessesReportOutputAndExitStatus() throws {
        let result = try Subprocess.run("/bin/sh", ["-c", "echo out; echo err >&2; head -c 200000 /dev/zero | tr '\\0' x; exit 3"])
        #expect(result.status == 3)
        #expect(result.stdout.hasPrefix("out\n") && result.stdout.count == 4 + 200_000)
        #expect(result.stderr == "err\n")
        #expect(try Subprocess.run("/bin/sh", ["-c", "kill -TERM $$"]).status == 128 + 15)
        #expect(throws: NoxCtlError.self) { try Subprocess.check("/bin/sh", ["-c", "echo why >&2; exit 1"]) }
        #expect(throws: NoxCtlError.self) { try Subprocess.run("/nonexistent/tool", []) }
    }

    @Test func manualPageComesFromTheCommandTree() throws {
        let info = try JSONValue.parse(
            Data(
                #"""
                {"commandName":"noxctl","abstract":"A tool.","discussion":"Examples:\n  noxctl run x.py","subcommands":[
                  {"commandName":"run","abstract":"Run code.","arguments":[
                    {"kind":"option","names":[{"kind":"short","name":"l"},{"kind":"long","name":"language"}],"valueName":"language","abstract":"Language."},
                    {"kind":"positional","names":[],"valueName":"file","isOptional":true,"abstract":"File."}]}]}
                """#.utf8))
        let page = ManualPage.render(info, date: "2026-01-01", version: "1.0")
        #expect(page.hasPrefix(".TH NOXCTL 1 \"2026-01-01\""))
        #expect(page.contains(".SS \"run\"") && page.contains("\\fB\\-l, \\-\\-language <language>\\fR"))
        #expect(page.contains("[<file>]") && page.contains(".nf\n  noxctl run x.py\n.fi"))
        #expect(ManualPage.escape(".x\\y") == "\\&.x\\ey")
    }
}
