public import ArgumentParser
import NoxRuntime

/// `nox auth` (or the `nox-auth` link): runs the nox-auth daemon, or one of its maintenance commands.
public struct AuthCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "auth",
        abstract: "The Nox authentication daemon: users, roles, tokens, API keys, audit.",
        subcommands: [Serve.self, RotateKey.self],
        defaultSubcommand: Serve.self
    )

    public init() {}

    public struct Serve: AsyncParsableCommand {
        public static let configuration = CommandConfiguration(
            abstract: "Run the daemon (normally started by systemd through nox-auth.socket).",
            discussion: """
                Under systemd the HTTP and Varlink sockets are inherited (FileDescriptorName=http and varlink); \
                run by hand, it binds the paths below instead.

                Example (development): nox auth serve --state-dir /tmp/nox-auth --http-socket /tmp/auth.sock
                """
        )
        @Option(help: "State directory (database, signing keys).") var stateDir = "/var/lib/nox/auth"
        @OptionGroup var configuration: DaemonConfigurationOptions
        @Option(help: "HTTP socket path when not socket-activated.") var httpSocket = "/run/nox/http/auth.sock"
        @Option(help: "Varlink socket path when not socket-activated.") var varlinkSocket = "/run/nox/ipc/io.nox.Auth"
        @Option(help: "nox-files' Varlink socket, told when a user is deleted (empty: none).") var filesSocket = "/run/nox/ipc/io.nox.Files"

        public init() {}

        public func run() async throws {
            var daemon = AuthDaemonConfiguration()
            daemon.stateDirectory = stateDir
            daemon.configPath = configuration.config
            daemon.configDropInDirectory = configuration.configDir
            daemon.httpSocketPath = httpSocket
            daemon.varlinkSocketPath = varlinkSocket
            daemon.filesSocketPath = filesSocket.isEmpty ? nil : filesSocket
            try await DaemonRunner.main("nox-auth") { logger in try await AuthDaemon.run(daemon: daemon, logger: logger) }
        }
    }

    public struct RotateKey: ParsableCommand {
        public static let configuration = CommandConfiguration(
            commandName: "rotate-key",
            abstract: "Create a new token-signing key; tokens signed by older keys stay valid until they expire.",
            discussion: "Run as the nox-auth user, then restart nox-auth: runuser -u nox-auth -- /usr/lib/nox/nox auth rotate-key"
        )
        @Option(help: "State directory.") var stateDir = "/var/lib/nox/auth"
        public init() {}
        public func run() throws {
            let kid = try SigningKeys.generate(directory: stateDir + "/keys")
            print("New signing key \(kid); restart nox-auth.service to sign with it.")
        }
    }
}
