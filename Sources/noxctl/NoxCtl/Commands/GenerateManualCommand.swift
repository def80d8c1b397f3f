import ArgumentParser
import Glibc

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// `noxctl generate-manual`: writes noxctl(1) from the command definitions themselves (what
/// ArgumentParser's `--experimental-dump-help` reports), so the man page can never drift from
/// the commands. The package build runs it on the binary it packs; no network, no plugin.
struct GenerateManualCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "generate-manual", abstract: "Write the noxctl(1) man page to stdout.", shouldDisplay: false)

    @Option(help: "Date shown in the page footer (YYYY-MM-DD; default: today, or SOURCE_DATE_EPOCH).") var date: String?

    func run() throws {
        let result = try Subprocess.run("/proc/self/exe", ["--experimental-dump-help"])
        guard result.status == 0 else { throw NoxCtlError("--experimental-dump-help failed: \(result.stderr)") }
        let info = try JSONValue.parse(Data(result.stdout.utf8))
        var when = Date()
        if let epoch = ProcessInfo.processInfo.environment["SOURCE_DATE_EPOCH"].flatMap(Double.init) { when = Date(timeIntervalSince1970: epoch) }
        Console.out(ManualPage.render(info["command"], date: date ?? String(Formatting.rfc3339(when).prefix(10)), version: NoxCtlVersion.version))
    }
}

/// A man(7) page from ArgumentParser's tool description (`ToolInfoV0`).
public enum ManualPage {
    public static func render(_ root: JSONValue, date: String, version: String) -> String {
        let name = root["commandName"].string ?? "noxctl"
        var page = ".TH \(name.uppercased()) 1 \"\(date)\" \"\(name) \(version)\" \"User Commands\"\n"
        page += ".SH NAME\n\(escape(name)) \\- \(escape(root["abstract"].string ?? ""))\n"
        page += ".SH SYNOPSIS\n.B \(name)\n.I command\n[\\fIoptions\\fR]\n"
        if let discussion = root["discussion"].string { page += ".SH DESCRIPTION\n" + paragraphs(discussion) }
        page += ".SH COMMANDS\n"
        for command in root["subcommands"].array ?? [] { page += section(command, path: [name]) }
        page += ".SH FILES\n.TP\n.I ~/.config/nox/config.toml\nurl, ca_file and insecure.\n"
        page += ".TP\n.I ~/.config/nox/credentials.json\nTokens stored by \\fBnoxctl login\\fR (mode 0600).\n"
        page += ".SH ENVIRONMENT\n.TP\n.B NOX_URL\nServer URL.\n.TP\n.B NOX_TOKEN\nToken or API key to send.\n"
        page += ".TP\n.B NOX_CA_FILE\nCertificate to trust.\n.TP\n.B NO_COLOR\nNo colours.\n"
        page += ".SH EXIT STATUS\n0 on success, 1 on an error, 2 for a refused backup archive, 64 for bad usage; "
        page += "\\fBrun\\fR exits with the program's exit code (124 timeout, 137 out of memory, 128+N signal N, 130 cancelled, 125 Nox failed); "
        page += "\\fBstatus\\fR exits 3 when something failed.\n"
        return page
    }

    private static func section(_ command: JSONValue, path: [String]) -> String {
        guard command["shouldDisplay"].bool != false, let name = command["commandName"].string, name != "help" else { return "" }
        let full = path + [name]
        let subcommands = (command["subcommands"].array ?? []).filter { $0["commandName"].string != "help" }
        var text = ".SS \"\(escape(full.dropFirst().joined(separator: " ")))\"\n"
        text += ".B \(escape(full.joined(separator: " ")))\n" + synopsis(command) + "\n.br\n"
        text += escape(command["abstract"].string ?? "") + "\n"
        if let discussion = command["discussion"].string { text += paragraphs(discussion) }
        for argument in command["arguments"].array ?? [] where argument["shouldDisplay"].bool != false {
            let label = argumentLabel(argument)
            if label == "--help" || label == "--version" { continue }
            text += ".TP\n" + "\\fB\(escape(label))\\fR\n" + escape(argument["abstract"].string ?? "") + "\n"
        }
        for sub in subcommands { text += section(sub, path: full) }
        return text
    }

    private static func synopsis(_ command: JSONValue) -> String {
        (command["arguments"].array ?? []).filter { $0["kind"].string == "positional" }.map { argument in
            let value = "<\(argument["valueName"].string ?? "value")>" + (argument["isRepeating"].bool == true ? " ..." : "")
            return argument["isOptional"].bool == true ? "[\(escape(value))]" : escape(value)
        }.joined(separator: " ")
    }

    /// `-l, --language <language>` for an option, `<file>` for a positional argument.
    static func argumentLabel(_ argument: JSONValue) -> String {
        let names = (argument["names"].array ?? []).compactMap { name -> String? in
            guard let text = name["name"].string else { return nil }
            switch name["kind"].string {
            case "short": return "-" + text
            case "longWithSingleDash": return "-" + text
            default: return "--" + text
            }
        }
        let value = "<\(argument["valueName"].string ?? "value")>"
        switch argument["kind"].string {
        case "positional": return value
        case "flag": return names.joined(separator: ", ")
        default: return names.joined(separator: ", ") + " " + value
        }
    }

    /// Text with blank-line paragraphs; indented lines (examples) kept as they are.
    private static func paragraphs(_ text: String) -> String {
        var out = ""
        var inExample = false
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix("  ") {
                if !inExample { out += ".PP\n.nf\n" }
                inExample = true
                out += escape(String(line)) + "\n"
            } else {
                if inExample { out += ".fi\n" }
                inExample = false
                out += line.isEmpty ? ".PP\n" : escape(String(line)) + "\n"
            }
        }
        return out + (inExample ? ".fi\n" : "")
    }

    /// roff-safe text: backslashes escaped, a leading `.` or `'` neutralised, `-` as a real minus.
    static func escape(_ text: String) -> String {
        var out = text.replacing("\\", with: "\\e").replacing("-", with: "\\-")
        if out.hasPrefix(".") || out.hasPrefix("'") { out = "\\&" + out }
        return out
    }
}
