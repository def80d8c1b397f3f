public import ArgumentParser
import NoxRuntime

/// `nox metrics` (or the `nox-metrics` link): runs the nox-metrics daemon.
public struct MetricsCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "metrics",
        abstract: "The Nox metrics daemon: health, system and per-user metrics, statistics, Prometheus, history, live stream.",
        subcommands: [Serve.self],
        defaultSubcommand: Serve.self
    )

    public init() {}

    public struct Serve: AsyncParsableCommand {
        public static let configuration = CommandConfiguration(
            abstract: "Run the daemon (normally started by systemd through nox.target and nox-metrics.socket).",
            discussion: """
                Under systemd the HTTP and Varlink sockets are inherited (FileDescriptorName=http and varlink); \
                run by hand, it binds the paths below instead. It reads unit states over the system bus and asks \
                the other daemons over their Varlink sockets.

                Example (development): nox metrics serve --state-dir /tmp/nox-metrics --http-socket /tmp/metrics.sock
                """
        )
        @Option(help: "State directory (the history database).") var stateDir = "/var/lib/nox/metrics"
        @Option(help: "Directory whose filesystem the disk figures describe.") var noxStateDir = "/var/lib/nox"
        @OptionGroup var configuration: DaemonConfigurationOptions
        @Option(help: "HTTP socket path when not socket-activated.") var httpSocket = "/run/nox/http/metrics.sock"
        @Option(help: "Varlink socket path when not socket-activated.") var varlinkSocket = "/run/nox/ipc/io.nox.Metrics"
        @Option(help: "Directory of the other daemons' Varlink sockets.") var ipcDir = "/run/nox/ipc"

        public init() {}

        public func run() async throws {
            var daemon = MetricsDaemonConfiguration()
            daemon.stateDirectory = stateDir
            daemon.noxStateDirectory = noxStateDir
            daemon.configPath = configuration.config
            daemon.configDropInDirectory = configuration.configDir
            daemon.httpSocketPath = httpSocket
            daemon.varlinkSocketPath = varlinkSocket
            daemon.ipcDirectory = ipcDir
            try await DaemonRunner.main("nox-metrics") { logger in try await MetricsDaemon.run(daemon: daemon, logger: logger) }
        }
    }
}
