import ArgumentParser
import Glibc

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

struct FilesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "files",
        abstract: "Your files on the server (your sandbox, where your runs start).",
        discussion: """
            Examples:
              noxctl files ls -l
              noxctl files put results.csv data/
              noxctl files get data/results.csv -
              noxctl files search 'def main'
            """,
        subcommands: [ListFiles.self, CatFile.self, PutFile.self, GetFile.self, RemoveFile.self, MoveFile.self, SearchFiles.self])
}

/// The last component of a `/`-separated path.
func baseName(_ path: String) -> String {
    path.split(separator: "/").last.map(String.init) ?? path
}

struct ListFiles: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ls", abstract: "List a directory.",
        discussion: "Examples:\n  noxctl files ls\n  noxctl files ls -lR src")

    @OptionGroup var global: GlobalOptions
    @Argument(help: "Directory (default: the top of your sandbox).") var path: String = ""
    @Flag(name: .short, help: "Long listing: type, size, modification time.") var long = false
    @Flag(name: [.customShort("R"), .long], help: "Include everything below, recursively.") var recursive = false

    func run() throws {
        let context = try Context(global)
        let items = try context.client().list("/api/files", query: [("path", path), ("recursive", recursive ? "true" : nil)])
        if context.json { return context.printJSON(.array(items)) }
        if long {
            var table = Table(columns: ["TYPE", "SIZE", "MODIFIED", "PATH"], rightAligned: [1])
            for item in items {
                let isDir = item["type"].string == "dir"
                table.add([
                    Table.Cell(item["type"].cellText), Table.Cell(isDir ? "-" : Formatting.bytes(item["size"].int ?? 0)),
                    Table.Cell(Formatting.time(item["modified"].string)), Table.Cell(displayName(item) + (isDir ? "/" : ""), isDir ? .blue : nil),
                ])
            }
            context.printTable(table)
        } else {
            for item in items {
                let isDir = item["type"].string == "dir"
                Console.line(context.terminal.paint(Table.clean(displayName(item)) + (isDir ? "/" : ""), isDir ? .blue : nil))
            }
        }
    }

    /// Names relative to the listed directory, as ls shows them.
    private func displayName(_ item: JSONValue) -> String {
        let full = item["path"].string ?? item["name"].cellText
        let prefix = path.split(separator: "/").joined(separator: "/")
        if !prefix.isEmpty, full.hasPrefix(prefix + "/") { return String(full.dropFirst(prefix.count + 1)) }
        return full
    }
}

struct CatFile: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cat", abstract: "Print a file.", discussion: "Example:\n  noxctl files cat notes.txt | less")

    @OptionGroup var global: GlobalOptions
    @Argument(help: "File in your sandbox.") var path: String

    func run() throws {
        let context = try Context(global)
        try context.client().send(
            "GET", "/api/files/" + APIClient.filePath(path),
            handlers: TransferHandlers(onData: { Console.writeAll(1, $0) }))
    }
}

struct PutFile: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "put", abstract: "Upload a file (replacing one of that name atomically).",
        discussion: """
            REMOTE defaults to LOCAL's name; a REMOTE ending in / is a directory to put it in. \
            LOCAL - reads stdin.

            Examples:
              noxctl files put data.csv
              noxctl files put data.csv inputs/
              make-report | noxctl files put - reports/today.txt
            """)

    @OptionGroup var global: GlobalOptions
    @Argument(help: "Local file, or - for stdin.") var local: String
    @Argument(help: "Path in your sandbox.") var remote: String?

    func run() throws {
        let context = try Context(global)
        var target = remote ?? (local == "-" ? "" : baseName(local))
        if target.isEmpty { throw NoxCtlError("put from stdin needs a REMOTE path") }
        if target.hasSuffix("/") { target += local == "-" ? "stdin" : baseName(local) }
        let body: HTTPRequest.Body
        if local == "-" {
            body = .data(POSIX.readStdin())
        } else {
            var info = stat()
            guard stat(local, &info) == 0 else { throw NoxCtlError("\(local): \(String(cString: strerror(errno)))") }
            guard (info.st_mode & S_IFMT) == S_IFREG else { throw NoxCtlError("\(local) is not a regular file") }
            body = .file(path: local, size: Int64(info.st_size))
        }
        let bar = context.progressBar(baseName(target))
        let response = try context.client().send(
            "PUT", "/api/files/" + APIClient.filePath(target), body: body,
            headers: [(name: "Content-Type", value: "application/octet-stream")],
            handlers: TransferHandlers(onProgress: { bar.update($0, of: $1) }))
        bar.finish()
        let result = (try? JSONValue.parse(Data(response.body))) ?? .null
        if context.json { return context.printJSON(result) }
        let verb = response.status == 201 ? "created" : "replaced"
        Console.line("\(verb) \(result["path"].string ?? target) (\(Formatting.bytes(result["size"].int ?? 0)), sha256 \(result["sha256"].cellText))")
    }
}

struct GetFile: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "get", abstract: "Download a file.",
        discussion: """
            LOCAL defaults to REMOTE's name in the current directory; an existing directory \
            receives it under its name; - writes to stdout. The file appears only when complete.

            Examples:
              noxctl files get out/plot.png
              noxctl files get out/data.json - | jq .
            """)

    @OptionGroup var global: GlobalOptions
    @Argument(help: "Path in your sandbox.") var remote: String
    @Argument(help: "Local file or directory, or - for stdout.") var local: String?

    func run() throws {
        let context = try Context(global)
        let client = try context.client()
        let path = "/api/files/" + APIClient.filePath(remote)
        if local == "-" {
            try client.send("GET", path, handlers: TransferHandlers(onData: { Console.writeAll(1, $0) }))
            return
        }
        var target = local ?? baseName(remote)
        if POSIX.isDirectory(target) {
            target += "/" + baseName(remote)
        }
        let temporary = target + ".noxctl-\(getpid()).part"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw NoxCtlError("cannot write \(temporary): \(String(cString: strerror(errno)))") }
        var writeFailed = false
        let bar = context.progressBar(baseName(remote))
        do {
            defer { close(fd) }
            try client.send(
                "GET", path,
                handlers: TransferHandlers(
                    onData: { bytes in
                        writeFailed = !Console.writeAll(fd, bytes)
                        return !writeFailed
                    }, onProgress: { bar.update($0, of: $1) }))
            bar.finish()
            if writeFailed { throw NoxCtlError("cannot write \(target): \(String(cString: strerror(errno)))") }
        } catch {
            bar.finish()
            unlink(temporary)
            throw error
        }
        guard rename(temporary, target) == 0 else {
            unlink(temporary)
            throw NoxCtlError("cannot write \(target): \(String(cString: strerror(errno)))")
        }
        var info = stat()
        stat(target, &info)
        if context.json {
            context.printJSON(.object(["path": .string(remote), "local": .string(target), "size": .int(Int64(info.st_size))]))
        } else {
            Console.line("saved \(target) (\(Formatting.bytes(Int64(info.st_size))))")
        }
    }
}

struct RemoveFile: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rm", abstract: "Delete files or, with -r, directories.",
        discussion: "Examples:\n  noxctl files rm old.txt\n  noxctl files rm -r build")

    @OptionGroup var global: GlobalOptions
    @Flag(name: [.short, .customLong("recursive")], help: "Delete directories and everything in them.") var recursive = false
    @Argument(help: "Paths in your sandbox.") var paths: [String]

    func validate() throws {
        if paths.isEmpty { throw ValidationError("name at least one path") }
    }

    func run() throws {
        let context = try Context(global)
        let client = try context.client()
        for path in paths {
            try client.send("DELETE", "/api/files/" + APIClient.filePath(path), query: [("recursive", recursive ? "true" : nil)])
            if !context.json { Console.line("deleted \(path)") }
        }
        if context.json { context.printJSON(.object(["deleted": .array(paths.map { .string($0) })])) }
    }
}

struct MoveFile: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mv", abstract: "Move or rename a file or directory.", discussion: "Example:\n  noxctl files mv draft.txt final.txt")

    @OptionGroup var global: GlobalOptions
    @Argument(help: "Current path.") var from: String
    @Argument(help: "New path.") var to: String

    func run() throws {
        let context = try Context(global)
        let result = try context.client().json("POST", "/api/files/move", body: .object(["from": .string(from), "to": .string(to)]))
        if context.json { return context.printJSON(result) }
        Console.line("moved \(from) to \(to)")
    }
}

struct SearchFiles: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "search", abstract: "Search names and text contents of your files.",
        discussion: "Examples:\n  noxctl files search TODO\n  noxctl files search 'import numpy' --path src")

    @OptionGroup var global: GlobalOptions
    @Argument(help: "Words to find.") var query: String
    @Option(help: "Search only below this directory.") var path: String?
    @Option(help: "At most this many results.") var limit: Int?

    func run() throws {
        let context = try Context(global)
        var body: [String: JSONValue] = ["query": .string(query)]
        if let path { body["path"] = .string(path) }
        if let limit { body["limit"] = .int(Int64(limit)) }
        let result = try context.client().json("POST", "/api/files/search", body: .object(body))
        let items = result["items"].array ?? []
        if context.json { return context.printJSON(.array(items)) }
        for item in items {
            let location = item["path"].cellText + (item["line"].int.map { ":\($0)" } ?? "")
            Console.line(context.terminal.paint(Table.clean(location), .blue) + "  " + highlighted(item, context.terminal))
        }
        if items.isEmpty && !context.json { Console.err("no matches") }
    }

    /// The snippet with its `highlights` ([start, end) character offsets) painted.
    private func highlighted(_ item: JSONValue, _ terminal: Terminal) -> String {
        let snippet = Array(Table.clean(item["snippet"].cellText))
        guard terminal.colors, let ranges = item["highlights"].array else { return String(snippet) }
        var out = ""
        var position = 0
        for range in ranges {
            guard let pair = range.array, pair.count == 2, let start = pair[0].int.map(Int.init), let end = pair[1].int.map(Int.init),
                start >= position, start <= end, end <= snippet.count
            else { continue }
            out += String(snippet[position..<start]) + terminal.paint(String(snippet[start..<end]), .red)
            position = end
        }
        return out + String(snippet[position...])
    }
}
