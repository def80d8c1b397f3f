import ArgumentParser
import Glibc

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

struct RunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run code on the server, streaming its output, and exit with its exit code.",
        discussion: """
            The code comes from FILE (a local file; its extension picks the language unless -l \
            is given), from -c, or from stdin. The run starts in your sandbox directory. \
            noxctl exits with the program's exit code; 124 on a timeout, 137 when out of \
            memory, 128+N when killed by signal N, 130 when cancelled (Ctrl-C cancels the run), \
            125 when Nox itself failed.

            Examples:
              noxctl run hello.py
              noxctl run -l python -c 'import sys; sys.exit(3)'; echo $?
              echo 'console.log(42)' | noxctl run -l node
              noxctl run --sandbox -l python src/main.py --arg input.txt
              noxctl run --async long.py          # prints the job id
              noxctl run job.py --stdin data.txt --env MODE=fast --timeout 60
            """)

    @OptionGroup var global: GlobalOptions

    @Argument(help: "Local file to run (or, with --sandbox, a file in your sandbox).")
    var file: String?

    @Option(name: [.short, .long], help: "Language (see 'noxctl languages').")
    var language: String?

    @Option(name: [.customShort("c"), .long], help: "The code to run.")
    var code: String?

    @Flag(help: "FILE is a path in your sandbox, not a local file.")
    var sandbox = false

    @Option(name: .customLong("arg"), help: "An argument for the program (repeatable).")
    var args: [String] = []

    @Option(name: .customLong("env"), help: ArgumentHelp("An environment variable NAME=VALUE (repeatable).", valueName: "name=value"))
    var env: [String] = []

    @Option(name: .customLong("stdin"), help: ArgumentHelp("Give the program this file as its stdin (- for noxctl's stdin).", valueName: "file"))
    var stdinFile: String?

    @Option(help: ArgumentHelp("Seconds before the run is stopped (at most your quota).", valueName: "seconds"))
    var timeout: Int?

    @Option(name: .customLong("memory"), help: ArgumentHelp("Memory limit in MiB (at most your quota).", valueName: "mib"))
    var memoryMB: Int?

    @Flag(help: "Allow network access (if your role may).")
    var network = false

    @Flag(name: .customLong("async"), help: "Do not wait: print the job id and return.")
    var async = false

    func validate() throws {
        if code != nil && file != nil { throw ValidationError("give either FILE or -c CODE, not both") }
        if sandbox && file == nil { throw ValidationError("--sandbox needs FILE") }
        if file == nil && code == nil && language == nil { throw ValidationError("code from stdin needs -l LANGUAGE") }
        if file == nil && code == nil && stdinFile == "-" { throw ValidationError("stdin cannot carry both the code and the program's input") }
        for pair in env where !pair.contains("=") { throw ValidationError("--env \(pair): expected NAME=VALUE") }
    }

    func run() throws {
        let context = try Context(global)
        let client = try context.client()
        var body = try requestBody(client)
        if !async, try !Self.canFollow(client) {
            // Without history:read (an API key scoped to exec:run) the output stream cannot be
            // read: wait for the result in the request itself and print it at the end.
            body["wait"] = .bool(true)
            let result = try client.json("POST", "/api/exec", body: .object(body))
            if !context.json {
                Console.writeAll(1, Array((result["stdout"].string ?? "").utf8))
                Console.writeAll(2, Array((result["stderr"].string ?? "").utf8))
            }
            return try finish(result, context)
        }
        let accepted = try client.json("POST", "/api/exec", body: .object(body))
        guard let id = accepted["id"].string else { throw NoxCtlError("the server did not return a job id") }
        if async {
            if context.json { return context.printJSON(accepted) }
            Console.line(id)
            return
        }
        // Used only from the signal handler's queue, while this thread is blocked in the stream.
        nonisolated(unsafe) let cancelClient = try context.client()
        let interrupt = CancelOnInterrupt {
            _ = try? cancelClient.send("DELETE", "/api/jobs/\(APIClient.pathSegment(id))")
        }
        let result = try JobFollower(client: client, echo: !context.json).follow(id)
        withExtendedLifetime(interrupt) {}
        try finish(result, context)
    }

    /// The POST /api/exec body (`wait: false`: the output is followed over SSE).
    private func requestBody(_ client: APIClient) throws -> [String: JSONValue] {
        var body: [String: JSONValue] = ["wait": .bool(false)]
        var languageName = language
        if let code {
            body["code"] = .string(code)
        } else if let file, sandbox {
            body["file"] = .string(file)
        } else if let file {
            guard let data = FileManager.default.contents(atPath: file) else { throw NoxCtlError("cannot read \(file)") }
            guard let text = String(data: data, encoding: .utf8) else { throw NoxCtlError("\(file) is not UTF-8 text") }
            body["code"] = .string(text)
        } else {
            body["code"] = .string(String(decoding: POSIX.readStdin(), as: UTF8.self))
        }
        if languageName == nil, let file {
            languageName = try Self.language(forExtensionOf: file, client)
        }
        guard let languageName else { throw NoxCtlError("no language: pass -l LANGUAGE") }
        body["language"] = .string(languageName)
        if !args.isEmpty { body["args"] = .array(args.map { .string($0) }) }
        if !env.isEmpty {
            var variables: [String: JSONValue] = [:]
            for pair in env {
                let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
                variables[String(parts[0])] = .string(parts.count > 1 ? String(parts[1]) : "")
            }
            body["env"] = .object(variables)
        }
        if let stdinFile {
            let data = stdinFile == "-" ? Data(POSIX.readStdin()) : FileManager.default.contents(atPath: stdinFile)
            guard let data else { throw NoxCtlError("cannot read \(stdinFile)") }
            body["stdin"] = .string(String(decoding: data, as: UTF8.self))
        }
        if let timeout { body["timeout_s"] = .int(Int64(timeout)) }
        if let memoryMB { body["memory_mb"] = .int(Int64(memoryMB)) }
        if network { body["network"] = .bool(true) }
        return body
    }

    /// Whether the caller may read a job's events (`history:read`). Logins carry their role's
    /// permissions (every role that may run code has it); only an API key may lack it, so
    /// only then is it asked.
    static func canFollow(_ client: APIClient) throws -> Bool {
        guard case .token(let token) = client.authentication, token.hasPrefix("nox_") else { return true }
        let permissions = try client.json("GET", "/api/auth/me")["permissions"].array ?? []
        return permissions.contains(.string("history:read"))
    }

    /// The language whose `file_extension` matches the file's.
    static func language(forExtensionOf file: String, _ client: APIClient) throws -> String {
        let name = baseName(file)
        guard let dot = name.lastIndex(of: "."), dot != name.startIndex else {
            throw NoxCtlError("\(file) has no extension to tell its language: pass -l LANGUAGE")
        }
        let fileExtension = String(name[name.index(after: dot)...])
        let languages = try client.json("GET", "/api/languages")["items"].array ?? []
        let matches = languages.filter { String(($0["file_extension"].string ?? "").drop { $0 == "." }) == fileExtension }
        guard let match = matches.first?["name"].string else {
            throw NoxCtlError("no language on the server runs .\(fileExtension) files: pass -l LANGUAGE (see 'noxctl languages')")
        }
        return match
    }

    private func finish(_ result: JSONValue, _ context: Context) throws {
        if context.json {
            context.printJSON(result)
        } else {
            for key in ["stdout", "stderr"] where result["\(key)_truncated"].bool == true {
                Console.err("noxctl: \(key) was truncated by the server's output limit")
            }
            if let note = RunOutcome.note(result) { Console.err("noxctl: \(note)") }
        }
        let status = RunOutcome.exitStatus(result)
        if status != 0 { throw ExitCode(status) }
    }
}
