public import ArgumentParser
import NoxRuntime

/// `nox files` (or the `nox-files` link): runs the nox-files daemon.
public struct FilesCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "files",
        abstract: "The Nox file daemon: per-user sandboxes, search, quotas, backups.",
        subcommands: [Serve.self],
        defaultSubcommand: Serve.self
    )

    public init() {}

    public struct Serve: AsyncParsableCommand {
        public static let configuration = CommandConfiguration(
            abstract: "Run the daemon (normally started by systemd through nox-files.socket).",
            discussion: """
                Under systemd the HTTP and Varlink sockets are inherited (FileDescriptorName=http and varlink); \
                run by hand, it binds the paths below instead. Requests are authenticated by nox-auth over Varlink.

                Example (development): nox files serve --state-dir /tmp/nox-files --users-dir /tmp/nox-users --http-socket /tmp/files.sock
                """
        )
        @Option(help: "State directory (indexes, backups).") var stateDir = "/var/lib/nox/files"
        @Option(help: "Directory of the users' sandboxes.") var usersDir = "/var/lib/nox/users"
        @OptionGroup var configuration: DaemonConfigurationOptions
        @Option(help: "HTTP socket path when not socket-activated.") var httpSocket = "/run/nox/http/files.sock"
        @Option(help: "Varlink socket path when not socket-activated.") var varlinkSocket = "/run/nox/ipc/io.nox.Files"
        @Option(help: "nox-auth's Varlink socket.") var authSocket = "/run/nox/ipc/io.nox.Auth"

        public init() {}

        public func run() async throws {
            var daemon = FilesDaemonConfiguration()
            daemon.stateDirectory = stateDir
            daemon.usersDirectory = usersDir
            daemon.configPath = configuration.config
            daemon.configDropInDirectory = configuration.configDir
            daemon.httpSocketPath = httpSocket
            daemon.varlinkSocketPath = varlinkSocket
            daemon.authSocketPath = authSocket
            try await DaemonRunner.main("nox-files") { logger in try await FilesDaemon.run(daemon: daemon, logger: logger) }
        }
    }
}
