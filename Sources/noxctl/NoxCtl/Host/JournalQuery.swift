/// `noxctl logs` options as journalctl arguments. Nox's daemons log structured fields
/// (`NOX_USER`, `NOX_JOB_ID`, `NOX_REQUEST_ID`), so each filter is a plain journal match.
public struct JournalQuery: Sendable, Equatable {
    public var units: [String] = []
    public var user: String?
    public var job: String?
    public var request: String?
    public var since: String?
    public var until: String?
    public var lines: Int?
    public var priority: String?
    public var follow = false
    public var json = false

    public init() {}

    /// `exec`, `nox-exec` and `nox-exec.service` all mean `nox-exec.service`; a unit with a
    /// type suffix (`nox-files.socket`, `nox-run-ID.service`) is taken as is.
    public static func unitName(_ name: String) -> String {
        if name.contains(".") { return name }
        return (name.hasPrefix("nox-") ? name : "nox-" + name) + ".service"
    }

    /// An age (`1h`, `30m`, `2d`) becomes systemd's relative time (`-1h`); anything else
    /// (`today`, `2026-01-02 10:00`) goes to journalctl as is.
    public static func timeArgument(_ text: String) -> String {
        guard let unit = text.last, Formatting.relativeSeconds(text) != nil else { return text }
        let number = text.dropLast()
        let systemdUnit = ["s": "s", "m": "min", "h": "h", "d": "d", "w": "w"][String(unit)] ?? String(unit)
        return "-\(number)\(systemdUnit)"
    }

    /// journalctl's arguments. Without --unit, every unit whose name starts with `nox-` (the
    /// daemons, their sockets, the runs) is included.
    public var arguments: [String] {
        var args = ["--no-hostname"]
        args += units.isEmpty ? ["--unit", "nox-*"] : units.flatMap { ["--unit", Self.unitName($0)] }
        if let since { args += ["--since", Self.timeArgument(since)] }
        if let until { args += ["--until", Self.timeArgument(until)] }
        if let lines { args += ["--lines", String(lines)] }
        if let priority { args += ["--priority", priority] }
        if follow { args.append("--follow") }
        args += ["--output", json ? "json" : "short-iso-precise"]
        if let user { args.append("NOX_USER=\(user)") }
        if let job { args.append("NOX_JOB_ID=\(job)") }
        if let request { args.append("NOX_REQUEST_ID=\(request)") }
        return args
    }
}
