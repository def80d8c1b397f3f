public import ArgumentParser
import NoxRuntime

/// `nox exec` (or the `nox-exec` link): runs the nox-exec daemon.
public struct ExecCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "exec",
        abstract: "The Nox execution daemon: languages, the run queue, one transient systemd unit per run, history.",
        subcommands: [Serve.self],
        defaultSubcommand: Serve.self
    )

    public init() {}

    public struct Serve: AsyncParsableCommand {
        public static let configuration = CommandConfiguration(
            abstract: "Run the daemon (normally started by systemd through nox-exec.socket).",
            discussion: """
                Under systemd the HTTP and Varlink sockets are inherited (FileDescriptorName=http and varlink); \
                run by hand, it binds the paths below instead. Runs are started through systemd over D-Bus.

                Example (development, as root): nox exec serve --state-dir /tmp/nox-exec --http-socket /tmp/exec.sock
                """
        )
        @Option(help: "State directory (jobs, run code).") var stateDir = "/var/lib/nox/exec"
        @OptionGroup var configuration: DaemonConfigurationOptions
        @Option(help: "HTTP socket path when not socket-activated.") var httpSocket = "/run/nox/http/exec.sock"
        @Option(help: "Varlink socket path when not socket-activated.") var varlinkSocket = "/run/nox/ipc/io.nox.Exec"
        @Option(help: "nox-auth's Varlink socket.") var authSocket = "/run/nox/ipc/io.nox.Auth"
        @Option(help: "nox-files' Varlink socket.") var filesSocket = "/run/nox/ipc/io.nox.Files"
        @Option(help: "D-Bus address of systemd's bus (default: the system bus).") var busAddress: String?

        public init() {}

        public func run() async throws {
            var daemon = ExecDaemonConfiguration()
            daemon.stateDirectory = stateDir
            daemon.configPath = configuration.config
            daemon.configDropInDirectory = configuration.configDir
            daemon.httpSocketPath = httpSocket
            daemon.varlinkSocketPath = varlinkSocket
            daemon.authSocketPath = authSocket
            daemon.filesSocketPath = filesSocket
            daemon.busAddress = busAddress
            try await DaemonRunner.main("nox-exec") { logger in try await ExecDaemon.run(daemon: daemon, logger: logger) }
        }
    }
}
