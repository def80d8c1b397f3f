import ArgumentParser
import Glibc

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

struct LoginCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "login",
        abstract: "Sign in and store the tokens (refreshed transparently afterwards).",
        discussion: """
            The tokens go to ~/.config/nox/credentials.json (mode 0600), one login per server. \
            With --url (or $NOX_URL) and no config file yet, the URL and --ca-file are saved to \
            ~/.config/nox/config.toml, so later commands need no flags.

            Examples:
              noxctl login --url https://nox.example.com --username alice
              echo "$PASSWORD" | noxctl login --username alice --password-stdin
            """)

    @OptionGroup var global: GlobalOptions

    @Option(name: [.short, .long], help: "User name (asked on the terminal if missing).")
    var username: String?

    @Flag(help: "Read the password from stdin instead of asking on the terminal.")
    var passwordStdin = false

    func run() throws {
        let context = try Context(global)
        let client = try context.client(authenticated: false)
        guard let username = username ?? Prompt.line("Username: "), !username.isEmpty else {
            throw NoxCtlError("no user name: pass --username")
        }
        let password: String
        if passwordStdin {
            password = try Prompt.stdinSecret()
        } else if let typed = Prompt.secret("Password for \(username) at \(client.baseURL): ") {
            password = typed
        } else {
            throw NoxCtlError("no terminal to ask for the password: use --password-stdin")
        }
        let login = try client.login(username: username, password: password, store: context.credentials)
        if context.configFile == context.paths.configFile, !FileManager.default.fileExists(atPath: context.configFile) {
            var saved = context.config
            saved.token = nil
            // Skipping certificate checks stays a per-command choice, never a saved default.
            saved.insecure = false
            try writeFileAtomically(context.configFile, Data(saved.fileText.utf8), mode: 0o644)
        }
        if context.json {
            context.printJSON(.object(["server": .string(client.baseURL), "username": .string(login.username)]))
        } else {
            Console.line("Logged in to \(client.baseURL) as \(context.terminal.paint(login.username, .bold)).")
        }
    }
}

struct LogoutCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "logout",
        abstract: "Revoke the stored login on the server and forget it.",
        discussion: "Example:\n  noxctl logout")

    @OptionGroup var global: GlobalOptions

    func run() throws {
        let context = try Context(global)
        let client = try context.client(authenticated: false)
        guard let login = try context.credentials.login(for: client.baseURL) else {
            throw NoxCtlError("not logged in to \(client.baseURL)")
        }
        var warning: String?
        do {
            try client.json("POST", "/api/auth/logout", body: .object(["refresh_token": .string(login.refreshToken)]))
        } catch let error as APIError where error.status == 401 {
            // Already revoked or expired: forgetting it locally is all that is left to do.
        } catch {
            warning = "the server did not confirm the logout (\(error)); the tokens were removed here anyway"
        }
        try context.credentials.update(client.baseURL) { _ in .some(nil) }
        if let warning { Console.err("noxctl: warning: \(warning)") }
        if context.json {
            context.printJSON(.object(["server": .string(client.baseURL), "username": .string(login.username), "logged_out": .bool(true)]))
        } else {
            Console.line("Logged out \(login.username) from \(client.baseURL).")
        }
    }
}

struct WhoamiCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "whoami",
        abstract: "Show who you are on the server: user, role, permissions and quotas.",
        discussion: "Examples:\n  noxctl whoami\n  noxctl whoami --json | jq -r .role")

    @OptionGroup var global: GlobalOptions

    func run() throws {
        let context = try Context(global)
        let me = try context.client().json("GET", "/api/auth/me")
        if context.json { return context.printJSON(me) }
        var fields = [("user", me["username"].cellText), ("role", me["role"].cellText), ("server", try context.serverURL())]
        fields.append(("permissions", (me["permissions"].array ?? []).map(\.cellText).sorted().joined(separator: " ")))
        for (key, value) in (me["quotas"].object ?? [:]).sorted(by: { $0.key < $1.key }) {
            fields.append(("quota \(key)", value.cellText))
        }
        context.printFields(fields)
    }
}
