import ArgumentParser
import Glibc

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

struct KeysCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keys", abstract: "Your API keys (for scripts and CI: NOX_TOKEN=nox_…).",
        discussion: """
            Examples:
              noxctl keys create ci --scope exec:run --scope files:read --expires-in-days 90
              noxctl keys list
              noxctl keys delete 12
            """,
        subcommands: [CreateKey.self, ListKeys.self, DeleteKey.self])
}

struct CreateKey: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "create", abstract: "Create a key; its secret is shown only this once.",
        discussion: "Example:\n  export NOX_TOKEN=$(noxctl keys create ci --scope exec:run --json | jq -r .key)")

    @OptionGroup var global: GlobalOptions
    @Argument(help: "A name to recognise the key by.") var name: String
    @Option(name: .customLong("scope"), help: "A permission the key carries (repeatable; default: all of yours).") var scopes: [String] = []
    @Option(help: "Days until the key expires (default: never).") var expiresInDays: Int?

    func run() throws {
        let context = try Context(global)
        var body: [String: JSONValue] = ["name": .string(name)]
        if !scopes.isEmpty { body["scopes"] = .array(scopes.map { .string($0) }) }
        if let expiresInDays { body["expires_in_days"] = .int(Int64(expiresInDays)) }
        let key = try context.client().json("POST", "/api/keys", body: .object(body))
        if context.json { return context.printJSON(key) }
        context.printFields([
            ("id", key["id"].cellText), ("name", key["name"].cellText), ("scopes", key["scopes"].cellText),
            ("expires", key["expires_at"].isNull ? "never" : Formatting.time(key["expires_at"].string)),
            ("key", context.terminal.paint(key["key"].cellText, .bold)),
        ])
        Console.err("Keep the key now: the server shows it only once.")
    }
}

struct ListKeys: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list", abstract: "List your keys (never their secrets).", discussion: "Example:\n  noxctl keys list")

    @OptionGroup var global: GlobalOptions

    func run() throws {
        let context = try Context(global)
        let response = try context.client().json("GET", "/api/keys")
        let items = response["items"].array ?? response.array ?? []
        if context.json { return context.printJSON(.array(items)) }
        var table = Table(columns: ["ID", "NAME", "SCOPES", "CREATED", "EXPIRES", "LAST USED"])
        for key in items {
            table.add([
                key["id"].cellText, key["name"].cellText, key["scopes"].cellText, Formatting.time(key["created_at"].string),
                key["expires_at"].isNull ? "never" : Formatting.time(key["expires_at"].string), Formatting.time(key["last_used_at"].string),
            ])
        }
        context.printTable(table)
    }
}

struct DeleteKey: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "delete", abstract: "Delete keys; they stop working at once.", discussion: "Example:\n  noxctl keys delete 12")

    @OptionGroup var global: GlobalOptions
    @Argument(help: "Key ids.") var ids: [String]

    func validate() throws {
        if ids.isEmpty { throw ValidationError("name at least one key id") }
    }

    func run() throws {
        let context = try Context(global)
        let client = try context.client()
        for id in ids {
            try client.send("DELETE", "/api/keys/\(APIClient.pathSegment(id))")
            if !context.json { Console.line("deleted key \(id)") }
        }
        if context.json { context.printJSON(.object(["deleted": .array(ids.map { .string($0) })])) }
    }
}
