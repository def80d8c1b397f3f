import ArgumentParser
import Glibc

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

struct UsersCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "users", abstract: "Manage users (administrators).",
        discussion: """
            Quotas: cpu_percent (100 = one core), memory_mb, tasks_max, max_concurrent, \
            exec_timeout_s, disk_mb, requests_per_minute; "default" returns one to the server's default.

            Examples:
              noxctl users add alice --role user --quota memory_mb=1024
              noxctl users list
              noxctl users set alice --role admin --quota disk_mb=default
              echo "$NEW" | noxctl users set alice --password-stdin
              noxctl users disable bob
            """,
        subcommands: [AddUser.self, ListUsers.self, ShowUser.self, SetUser.self, DisableUser.self, DeleteUser.self])
}

/// `--quota NAME=VALUE` options as the API's `quotas` object (`default` → null).
func quotasObject(_ pairs: [String]) throws -> JSONValue? {
    guard !pairs.isEmpty else { return nil }
    var quotas: [String: JSONValue] = [:]
    for pair in pairs {
        let parts = pair.split(separator: "=", maxSplits: 1).map(String.init)
        guard parts.count == 2, !parts[0].isEmpty else { throw NoxCtlError("--quota \(pair): expected NAME=VALUE, e.g. memory_mb=512") }
        if parts[1] == "default" {
            quotas[parts[0]] = .null
        } else if let number = Int64(parts[1]) {
            quotas[parts[0]] = .int(number)
        } else {
            throw NoxCtlError("--quota \(pair): the value must be a whole number or \"default\"")
        }
    }
    return .object(quotas)
}

/// The fields of a user for `users show` and after `add`/`set`.
func printUser(_ user: JSONValue, _ context: Context) {
    if context.json { return context.printJSON(user) }
    var fields = [("user", user["username"].cellText), ("role", user["role"].cellText)]
    if let disabled = user["disabled"].bool { fields.append(("disabled", disabled ? context.terminal.paint("yes", .red) : "no")) }
    for key in ["created_at", "updated_at"] where !user[key].isNull {
        fields.append((key.replacing("_at", with: ""), Formatting.time(user[key].string)))
    }
    for (key, value) in (user["quotas"].object ?? [:]).sorted(by: { $0.key < $1.key }) {
        fields.append(("quota \(key)", value.cellText))
    }
    context.printFields(fields)
}

func userPath(_ name: String) -> String { "/api/admin/users/\(APIClient.pathSegment(name))" }

struct AddUser: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "add", abstract: "Create a user.",
        discussion: "Example:\n  echo \"$PW\" | noxctl users add alice --role user --password-stdin")

    @OptionGroup var global: GlobalOptions
    @Argument(help: "User name (^[a-z][a-z0-9_]{0,31}$).") var username: String
    @Option(help: "Role: admin, user or viewer.") var role = "user"
    @Flag(help: "Read the password from stdin instead of asking on the terminal.") var passwordStdin = false
    @Option(name: .customLong("quota"), help: ArgumentHelp("A quota NAME=VALUE (repeatable).", valueName: "name=value")) var quotas: [String] = []

    func run() throws {
        let context = try Context(global)
        var body: [String: JSONValue] = [
            "username": .string(username), "role": .string(role), "password": .string(try Prompt.newPassword(fromStdin: passwordStdin)),
        ]
        if let quotas = try quotasObject(quotas) { body["quotas"] = quotas }
        let user = try context.client().json("POST", "/api/admin/users", body: .object(body))
        printUser(user, context)
    }
}

struct ListUsers: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "List users.", discussion: "Example:\n  noxctl users list")

    @OptionGroup var global: GlobalOptions

    func run() throws {
        let context = try Context(global)
        let items = try context.client().list("/api/admin/users")
        if context.json { return context.printJSON(.array(items)) }
        var table = Table(columns: ["USER", "ROLE", "DISABLED", "CREATED"])
        for user in items {
            let disabled = user["disabled"].bool == true
            table.add([
                Table.Cell(user["username"].cellText), Table.Cell(user["role"].cellText),
                Table.Cell(disabled ? "yes" : "no", disabled ? .red : nil), Table.Cell(Formatting.time(user["created_at"].string)),
            ])
        }
        context.printTable(table)
    }
}

struct ShowUser: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "show", abstract: "Show a user, with quotas.", discussion: "Example:\n  noxctl users show alice")

    @OptionGroup var global: GlobalOptions
    @Argument(help: "User name.") var username: String

    func run() throws {
        let context = try Context(global)
        printUser(try context.client().json("GET", userPath(username)), context)
    }
}

struct SetUser: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "set", abstract: "Change a user's role, password, quotas or disabled flag.",
        discussion: "Examples:\n  noxctl users set alice --role viewer\n  noxctl users set alice --quota cpu_percent=200 --enable")

    @OptionGroup var global: GlobalOptions
    @Argument(help: "User name.") var username: String
    @Option(help: "New role: admin, user or viewer.") var role: String?
    @Flag(help: "Set a new password (read from stdin with --password-stdin, else asked).") var password = false
    @Flag(help: "Read the new password from stdin.") var passwordStdin = false
    @Option(name: .customLong("quota"), help: ArgumentHelp("A quota NAME=VALUE, or NAME=default (repeatable).", valueName: "name=value")) var quotas:
        [String] = []
    @Flag(help: "Allow the user to sign in again.") var enable = false
    @Flag(help: "Refuse the user's logins, tokens and keys.") var disable = false

    func validate() throws {
        if enable && disable { throw ValidationError("--enable and --disable contradict each other") }
        if role == nil && !password && !passwordStdin && quotas.isEmpty && !enable && !disable {
            throw ValidationError("nothing to change: give --role, --password, --quota, --enable or --disable")
        }
    }

    func run() throws {
        let context = try Context(global)
        var body: [String: JSONValue] = [:]
        if let role { body["role"] = .string(role) }
        if password || passwordStdin { body["password"] = .string(try Prompt.newPassword(fromStdin: passwordStdin)) }
        if let quotas = try quotasObject(quotas) { body["quotas"] = quotas }
        if enable || disable { body["disabled"] = .bool(disable) }
        printUser(try context.client().json("PATCH", userPath(username), body: .object(body)), context)
    }
}

struct DisableUser: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "disable", abstract: "Disable a user: logins, tokens and keys are refused (undo: users set NAME --enable).",
        discussion: "Example:\n  noxctl users disable bob")

    @OptionGroup var global: GlobalOptions
    @Argument(help: "User name.") var username: String

    func run() throws {
        let context = try Context(global)
        printUser(try context.client().json("PATCH", userPath(username), body: .object(["disabled": .bool(true)])), context)
    }
}

struct DeleteUser: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "delete", abstract: "Delete users with their files, keys and history.", discussion: "Example:\n  noxctl users delete bob")

    @OptionGroup var global: GlobalOptions
    @Argument(help: "User names.") var usernames: [String]

    func validate() throws {
        if usernames.isEmpty { throw ValidationError("name at least one user") }
    }

    func run() throws {
        let context = try Context(global)
        let client = try context.client()
        for name in usernames {
            try client.send("DELETE", userPath(name))
            if !context.json { Console.line("deleted user \(name)") }
        }
        if context.json { context.printJSON(.object(["deleted": .array(usernames.map { .string($0) })])) }
    }
}

struct AuditCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit", abstract: "Read the audit log (administrators).",
        discussion: """
            Examples:
              noxctl audit --user alice --since 1d
              noxctl audit --action auth.login --json | jq '.[] | select(.outcome != "success")'
            """)

    @OptionGroup var global: GlobalOptions
    @Option(help: "Only what this user did.") var user: String?
    @Option(help: "Only this action (auth.login, key.create, user.update, …).") var action: String?
    @Option(help: ArgumentHelp("From this time (RFC 3339) or age (30m, 1h, 7d).", valueName: "time")) var since: String?
    @Option(help: ArgumentHelp("Until this time (RFC 3339) or age.", valueName: "time")) var until: String?
    @Option(help: "At most this many entries (default 100).") var limit: Int = 100

    func run() throws {
        let context = try Context(global)
        let query: [(String, String?)] = [
            ("user", user), ("action", action), ("since", try since.map { try Formatting.sinceTime($0) }),
            ("until", try until.map { try Formatting.sinceTime($0) }),
        ]
        let items = try context.client().list("/api/admin/audit", query: query, limit: limit)
        if context.json { return context.printJSON(.array(items)) }
        var table = Table(columns: ["TIME", "USER", "ACTION", "TARGET", "OUTCOME", "SOURCE", "REQUEST"])
        for entry in items {
            let outcome = entry["outcome"].cellText
            table.add([
                Table.Cell(Formatting.time(entry["time"].string)), Table.Cell(entry["user"].cellText), Table.Cell(entry["action"].cellText),
                Table.Cell(entry["target"].cellText), Table.Cell(outcome, Terminal.style(forStatus: outcome)),
                Table.Cell(entry["source_ip"].cellText), Table.Cell(entry["request_id"].cellText),
            ])
        }
        context.printTable(table)
    }
}
