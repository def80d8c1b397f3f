import ArgumentParser
import Glibc

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// Options every command takes: where the server is, how to trust it, and the output format.
public struct GlobalOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Server URL (default: $NOX_URL, else url in the config file).", valueName: "url"))
    var url: String?

    @Option(
        name: .customLong("ca-file"),
        help: ArgumentHelp("Trust this PEM certificate instead of the system's CAs ($NOX_CA_FILE, ca_file).", valueName: "pem"))
    var caFile: String?

    @Flag(help: "Do not verify the server's certificate (testing only).")
    var insecure = false

    @Option(help: ArgumentHelp("Send this token (JWT or nox_ API key) instead of the stored login ($NOX_TOKEN).", valueName: "token"))
    var token: String?

    @Option(name: .customLong("config"), help: ArgumentHelp("Config file (default: ~/.config/nox/config.toml).", valueName: "file"))
    var configFile: String?

    @Flag(help: "Print JSON (for scripts) instead of tables.")
    var json = false

    public init() {}
}

/// What a command needs to talk to Nox and to the terminal, built from its global options.
struct Context {
    let options: GlobalOptions
    let environment: [String: String]
    let paths: ConfigPaths
    let configFile: String
    let fileConfig: ClientConfiguration
    let config: ClientConfiguration
    let terminal: Terminal

    init(_ options: GlobalOptions, environment: [String: String] = ProcessInfo.processInfo.environment) throws {
        self.options = options
        self.environment = environment
        paths = ConfigPaths(environment: environment)
        configFile = options.configFile ?? environment["NOX_CONFIG"].flatMap { $0.isEmpty ? nil : $0 } ?? paths.configFile
        fileConfig = try ClientConfiguration.load(file: configFile)
        let flags = ClientConfiguration(url: options.url, caFile: options.caFile, insecure: options.insecure, token: options.token)
        config = ClientConfiguration.resolve(flags: flags, environment: environment, file: fileConfig)
        terminal = Terminal.current(environment: environment)
    }

    var json: Bool { options.json }
    var credentials: CredentialStore { CredentialStore(path: paths.credentialsFile) }

    /// The server URL, or an error saying how to give one.
    func serverURL() throws -> String {
        guard let url = config.url else {
            throw NoxCtlError("no server URL: pass --url, set NOX_URL, or put url = \"https://…\" in \(configFile) (noxctl login --url does that)")
        }
        return url
    }

    var transportOptions: TransportOptions { TransportOptions(caFile: config.caFile, insecure: config.insecure) }

    /// A client for the server; `authenticated: false` sends no token.
    func client(authenticated: Bool = true) throws -> APIClient {
        let url = try serverURL()
        let authentication: Authentication
        if !authenticated {
            authentication = .none
        } else if let token = config.token {
            authentication = .token(token)
        } else {
            authentication = .stored(credentials)
        }
        return APIClient(baseURL: url, transport: CurlTransport(options: transportOptions), authentication: authentication)
    }

    /// Prints a value as indented JSON.
    func printJSON(_ value: JSONValue) {
        Console.line(value.prettyText)
    }

    func printTable(_ table: Table) {
        Console.out(table.render(terminal))
    }

    /// `label: value` lines for one object (show/whoami), keys padded to one width.
    func printFields(_ fields: [(String, String)]) {
        let width = fields.map(\.0.count).max() ?? 0
        for (key, value) in fields {
            Console.line(terminal.paint(key + ":", .bold) + String(repeating: " ", count: width - key.count + 1) + value)
        }
    }

    /// A progress bar for a transfer, shown only on a terminal.
    func progressBar(_ label: String) -> ProgressBar {
        ProgressBar(label: label, enabled: terminal.progress && !json)
    }
}
