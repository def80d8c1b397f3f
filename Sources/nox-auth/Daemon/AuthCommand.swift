public import ArgumentParser
import Logging
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
        @Option(help: "Main configuration file.") var config = ConfigurationLoader.defaultPath
        @Option(help: "Drop-in configuration directory.") var configDir = ConfigurationLoader.defaultDropInDirectory
        @Option(help: "HTTP socket path when not socket-activated.") var httpSocket = "/run/nox/http/auth.sock"
        @Option(help: "Varlink socket path when not socket-activated.") var varlinkSocket = "/run/nox/ipc/io.nox.Auth"
        @Option(help: "nox-files' Varlink socket, told when a user is deleted (empty: none).") var filesSocket = "/run/nox/ipc/io.nox.Files"

        public init() {}

        public func run() async throws {
            NoxLogging.bootstrap(identifier: "nox-auth")
            let logger = Logger(label: "nox.auth")
            var daemon = AuthDaemonConfiguration()
            daemon.stateDirectory = stateDir
            daemon.configPath = config
            daemon.configDropInDirectory = configDir
            daemon.httpSocketPath = httpSocket
            daemon.varlinkSocketPath = varlinkSocket
            daemon.filesSocketPath = filesSocket.isEmpty ? nil : filesSocket
            do {
                try await AuthDaemon.run(daemon: daemon, logger: logger)
            } catch {
                logger.critical("nox-auth cannot run: \(error)")
                throw ExitCode(1)
            }
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
