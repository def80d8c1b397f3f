import ArgumentParser
import Glibc

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// The table of runs shared by `jobs` and `history`.
func runsTable(_ items: [JSONValue], _ terminal: Terminal) -> Table {
    var table = Table(columns: ["ID", "LANGUAGE", "STATUS", "EXIT", "DURATION", "CREATED", "CODE"], rightAligned: [3, 4])
    for item in items {
        let status = item["status"].cellText
        let firstLine = (item["code"].string ?? item["file"].string ?? "").split(separator: "\n").first.map(String.init) ?? ""
        table.add([
            Table.Cell(item["id"].cellText), Table.Cell(item["language"].cellText), Table.Cell(status, Terminal.style(forStatus: status)),
            Table.Cell(item["exit_code"].isNull ? (item["signal"].string ?? "") : item["exit_code"].cellText),
            Table.Cell(item["duration_ms"].int.map { Formatting.duration(milliseconds: $0) } ?? ""),
            Table.Cell(Formatting.time(item["created_at"].string ?? item["started_at"].string)),
            Table.Cell(firstLine.count > 40 ? String(firstLine.prefix(39)) + "…" : firstLine),
        ])
    }
    return table
}

struct JobsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "jobs", abstract: "List your runs that are queued or running.",
        discussion: "Example:\n  noxctl jobs")

    @OptionGroup var global: GlobalOptions

    func run() throws {
        let context = try Context(global)
        let client = try context.client()
        let items = try ["running", "queued"].flatMap { status in try client.list("/api/history", query: [("status", status)]) }
        if context.json { return context.printJSON(.array(items)) }
        if items.isEmpty {
            Console.err("no runs queued or running")
            return
        }
        context.printTable(runsTable(items, context.terminal))
    }
}

struct JobCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "job", abstract: "Show one run: its status, limits and output.",
        discussion: """
            With --follow, waits for the run, streaming its output, and exits with its exit code.

            Examples:
              noxctl job 3f2a…
              noxctl job --follow $(noxctl run --async long.py)
            """)

    @OptionGroup var global: GlobalOptions
    @Argument(help: "Job id.") var id: String
    @Flag(name: [.short, .long], help: "Stream the output until the run ends; exit with its exit code.") var follow = false

    func run() throws {
        let context = try Context(global)
        let client = try context.client()
        if follow {
            let result = try JobFollower(client: client, echo: !context.json).follow(id)
            if context.json { context.printJSON(result) } else if let note = RunOutcome.note(result) { Console.err("noxctl: \(note)") }
            let status = RunOutcome.exitStatus(result)
            if status != 0 { throw ExitCode(status) }
            return
        }
        let job = try client.json("GET", "/api/jobs/\(APIClient.pathSegment(id))")
        if context.json { return context.printJSON(job) }
        let status = job["status"].cellText
        var fields: [(String, String)] = [
            ("id", job["id"].cellText), ("language", job["language"].cellText),
            ("status", context.terminal.paint(status, Terminal.style(forStatus: status))),
        ]
        for key in ["exit_code", "signal", "error"] where !job[key].isNull { fields.append((key.replacing("_", with: " "), job[key].cellText)) }
        for key in ["created_at", "started_at", "finished_at"] where !job[key].isNull {
            fields.append((key.replacing("_at", with: ""), Formatting.time(job[key].string)))
        }
        if let ms = job["duration_ms"].int { fields.append(("duration", Formatting.duration(milliseconds: ms))) }
        if let ms = job["cpu_ms"].int { fields.append(("cpu", Formatting.duration(milliseconds: ms))) }
        if let bytes = job["memory_peak_bytes"].int { fields.append(("memory peak", Formatting.bytes(bytes))) }
        context.printFields(fields)
        for key in ["stdout", "stderr"] {
            guard let text = job[key].string, !text.isEmpty else { continue }
            let truncated = job["\(key)_truncated"].bool == true ? " (truncated)" : ""
            Console.line(context.terminal.paint("--- \(key)\(truncated) ---", .dim))
            Console.out(text.hasSuffix("\n") ? text : text + "\n")
        }
    }
}

struct CancelCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cancel", abstract: "Cancel a queued or running run.", discussion: "Example:\n  noxctl cancel 3f2a…")

    @OptionGroup var global: GlobalOptions
    @Argument(help: "Job ids.") var ids: [String]

    func validate() throws {
        if ids.isEmpty { throw ValidationError("name at least one job id") }
    }

    func run() throws {
        let context = try Context(global)
        let client = try context.client()
        for id in ids {
            try client.send("DELETE", "/api/jobs/\(APIClient.pathSegment(id))")
            if !context.json { Console.line("cancelled \(id)") }
        }
        if context.json { context.printJSON(.object(["cancelled": .array(ids.map { .string($0) })])) }
    }
}

struct HistoryCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "history", abstract: "List your past runs, newest first.",
        discussion: """
            Examples:
              noxctl history --status failed
              noxctl history --search numpy --since 7d --limit 20
              noxctl history --language python --json | jq -r '.[].id'
            """)

    @OptionGroup var global: GlobalOptions
    @Option(help: "Only runs with this status (succeeded, failed, timeout, oom, killed, cancelled, error, queued, running).") var status: String?
    @Option(help: "Only runs whose code contains these words.") var search: String?
    @Option(help: "Only runs of this language.") var language: String?
    @Option(help: ArgumentHelp("Only runs since this time (RFC 3339) or age (30m, 1h, 7d).", valueName: "time")) var since: String?
    @Option(help: "At most this many runs (default 50).") var limit: Int = 50

    func run() throws {
        let context = try Context(global)
        let query: [(String, String?)] = [
            ("status", status), ("q", search), ("language", language), ("since", try since.map { try Formatting.sinceTime($0) }),
        ]
        let items = try context.client().list("/api/history", query: query, limit: limit)
        if context.json { return context.printJSON(.array(items)) }
        context.printTable(runsTable(items, context.terminal))
    }
}

struct LanguagesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "languages", abstract: "List the languages the server runs.", discussion: "Example:\n  noxctl languages")

    @OptionGroup var global: GlobalOptions

    func run() throws {
        let context = try Context(global)
        let items = try context.client().json("GET", "/api/languages")["items"].array ?? []
        if context.json { return context.printJSON(.array(items)) }
        var table = Table(columns: ["NAME", "VERSION", "EXTENSION", "ALIASES"])
        for item in items {
            table.add([item["name"].cellText, item["version"].cellText, item["file_extension"].cellText, item["aliases"].cellText])
        }
        context.printTable(table)
    }
}
