import ArgumentParser
import Glibc

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

struct StatusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "The state of every Nox unit and of each service's health, as one table (on the host, as root).",
        discussion: """
            Units come from systemd (systemctl show); health from GET /api/health, asked of \
            nox-metrics on its socket (/run/nox/http/metrics.sock), else of --url. Exits 0 when \
            nothing has failed, 3 when a unit failed or the health is not ok.

            Examples:
              sudo noxctl status
              sudo noxctl status --json | jq '.units[] | select(.active != "active")'
            """)

    @OptionGroup var global: GlobalOptions

    /// nox-metrics' HTTP socket (packaging puts every daemon's socket in /run/nox/http).
    static let metricsSocket = "/run/nox/http/metrics.sock"

    func run() throws {
        let context = try Context(global)
        let units = try SystemdUnits.show(try SystemdUnits.installedUnits())
        let runs = (try? SystemdUnits.loadedUnits("nox-run-*.service"))?.count ?? 0
        let health = fetchHealth(context)
        let report = StatusReport(units: units, health: health.value, healthProblem: health.problem, runningRuns: runs)
        if context.json {
            context.printJSON(report.json)
        } else {
            context.printTable(report.table)
            Console.line()
            Console.line(report.summary(context.terminal))
        }
        if !report.healthy { throw ExitCode(3) }
    }

    /// /api/health from nox-metrics' socket, else through the configured URL; a reason when neither answers.
    private func fetchHealth(_ context: Context) -> (value: JSONValue?, problem: String?) {
        var attempts: [(String, () throws -> HTTPResponse)] = []
        if access(Self.metricsSocket, F_OK) == 0 {
            attempts.append(
                (
                    Self.metricsSocket,
                    {
                        try CurlTransport(options: TransportOptions(unixSocket: Self.metricsSocket))
                            .send(HTTPRequest(method: "GET", url: "http://localhost/api/health"), handlers: TransferHandlers())
                    }
                ))
        }
        if let url = context.config.url {
            attempts.append(
                (
                    url,
                    {
                        try CurlTransport(options: context.transportOptions).send(
                            HTTPRequest(method: "GET", url: url + "/api/health"), handlers: TransferHandlers())
                    }
                ))
        }
        var problems: [String] = []
        for (where_, attempt) in attempts {
            do {
                let response = try attempt()
                if let value = try? JSONValue.parse(Data(response.body)), value["status"].string != nil { return (value, nil) }
                problems.append("\(where_): HTTP \(response.status)")
            } catch {
                problems.append("\(where_): \(error)")
            }
        }
        if attempts.isEmpty { return (nil, "no nox-metrics socket (\(Self.metricsSocket)) and no server URL") }
        return (nil, problems.joined(separator: "; "))
    }
}

/// The status table, the summary line and the JSON of `noxctl status`.
struct StatusReport {
    var units: [UnitState]
    var health: JSONValue?
    var healthProblem: String?
    var runningRuns: Int

    /// A daemon's entry in /api/health's `services`.
    func serviceHealth(_ daemon: String?) -> JSONValue {
        guard let daemon, let health else { return .null }
        return health["services"][daemon]
    }

    var healthy: Bool {
        if units.contains(where: { $0.activeState == "failed" }) { return false }
        if let status = health?["status"].string { return status == "ok" }
        return true  // no health endpoint (nox-metrics not installed): judged on the units alone
    }

    var table: Table {
        var table = Table(columns: ["UNIT", "ACTIVE", "SUB", "ENABLED", "PID", "MEMORY", "HEALTH"], rightAligned: [4, 5])
        for unit in units {
            let service = unit.id.hasSuffix(".service") ? serviceHealth(unit.daemon) : .null
            var healthText = service["status"].string ?? ""
            if let version = service["version"].string, !healthText.isEmpty { healthText += " (\(version))" }
            table.add([
                Table.Cell(unit.id), Table.Cell(unit.activeState, Terminal.style(forStatus: unit.activeState)), Table.Cell(unit.subState),
                Table.Cell(unit.unitFileState, unit.unitFileState == "disabled" ? .dim : nil),
                Table.Cell(unit.mainPID > 0 ? String(unit.mainPID) : "-"), Table.Cell(unit.memory.map(Formatting.bytes) ?? "-"),
                Table.Cell(healthText, Terminal.style(forStatus: service["status"].string ?? "")),
            ])
        }
        return table
    }

    func summary(_ terminal: Terminal) -> String {
        let failed = units.filter { $0.activeState == "failed" }.map(\.id)
        var parts: [String] = []
        if let status = health?["status"].string {
            parts.append("health: " + terminal.paint(status, Terminal.style(forStatus: status)))
        } else {
            parts.append("health: " + terminal.paint("unavailable", .yellow) + (healthProblem.map { " (\($0))" } ?? ""))
        }
        parts.append(failed.isEmpty ? "failed units: none" : "failed units: " + terminal.paint(failed.joined(separator: " "), .red))
        parts.append("runs in progress: \(runningRuns)")
        return parts.joined(separator: "\n")
    }

    var json: JSONValue {
        .object([
            "units": .array(
                units.map { unit in
                    .object([
                        "unit": .string(unit.id), "load": .string(unit.loadState), "active": .string(unit.activeState), "sub": .string(unit.subState),
                        "enabled": .string(unit.unitFileState), "main_pid": .int(Int64(unit.mainPID)),
                        "memory_bytes": unit.memory.map { .int($0) } ?? .null,
                        "health": unit.id.hasSuffix(".service") ? serviceHealth(unit.daemon) : .null,
                    ])
                }),
            "health": health ?? .null,
            "health_error": healthProblem.map { .string($0) } ?? .null,
            "runs_in_progress": .int(Int64(runningRuns)),
            "healthy": .bool(healthy),
        ])
    }
}

struct LogsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "logs",
        abstract: "Nox's logs from journald, filtered by unit, user, job or request (on the host).",
        discussion: """
            A front end to journalctl using the fields Nox logs with: NOX_USER, NOX_JOB_ID, \
            NOX_REQUEST_ID (the X-Request-Id of a response). Needs root or the systemd-journal group.

            Examples:
              sudo noxctl logs --unit exec --since 1h
              sudo noxctl logs --user alice -f
              sudo noxctl logs --job 3f2a… --json
              sudo noxctl logs --request "$(curl -si … | awk '/X-Request-Id/ {print $2}')"
            """)

    @OptionGroup var global: GlobalOptions
    @Option(name: [.short, .long], help: ArgumentHelp("Only this unit: auth, files, exec, metrics, or a unit name (repeatable).", valueName: "unit"))
    var unit: [String] = []
    @Option(help: "Only entries about this Nox user.") var user: String?
    @Option(help: "Only entries about this job.") var job: String?
    @Option(help: "Only entries of this request (X-Request-Id).") var request: String?
    @Option(help: ArgumentHelp("From this time: an age (1h, 30m, 2d) or anything journalctl takes.", valueName: "time")) var since: String?
    @Option(help: ArgumentHelp("Until this time.", valueName: "time")) var until: String?
    @Option(name: [.short, .customLong("lines")], help: "Only the last N entries.") var lines: Int?
    @Option(name: [.short, .long], help: "Only this priority or more urgent (err, warning, info, …).") var priority: String?
    @Flag(name: [.short, .long], help: "Keep printing new entries.") var follow = false
    @Flag(help: "Print the journalctl command instead of running it.") var dryRun = false

    func run() throws {
        var query = JournalQuery()
        query.units = unit
        query.user = user
        query.job = job
        query.request = request
        query.since = since
        query.until = until
        query.lines = lines
        query.priority = priority
        query.follow = follow
        query.json = global.json
        if dryRun {
            Console.line(([Subprocess.journalctl] + query.arguments).joined(separator: " "))
            return
        }
        try Subprocess.exec(Subprocess.journalctl, query.arguments)
    }
}
