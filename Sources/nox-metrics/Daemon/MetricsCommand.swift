public import ArgumentParser
import Logging
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
        @Option(help: "Main configuration file.") var config = ConfigurationLoader.defaultPath
        @Option(help: "Drop-in configuration directory.") var configDir = ConfigurationLoader.defaultDropInDirectory
        @Option(help: "HTTP socket path when not socket-activated.") var httpSocket = "/run/nox/http/metrics.sock"
        @Option(help: "Varlink socket path when not socket-activated.") var varlinkSocket = "/run/nox/ipc/io.nox.Metrics"
        @Option(help: "Directory of the other daemons' Varlink sockets.") var ipcDir = "/run/nox/ipc"

        public init() {}

        public func run() async throws {
            NoxLogging.bootstrap(identifier: "nox-metrics")
            let logger = Logger(label: "nox.metrics")
            var daemon = MetricsDaemonConfiguration()
            daemon.stateDirectory = stateDir
            daemon.noxStateDirectory = noxStateDir
            daemon.configPath = config
            daemon.configDropInDirectory = configDir
            daemon.httpSocketPath = httpSocket
            daemon.varlinkSocketPath = varlinkSocket
            daemon.ipcDirectory = ipcDir
            do {
                try await MetricsDaemon.run(daemon: daemon, logger: logger)
            } catch {
                logger.critical("nox-metrics cannot run: \(error)")
                throw ExitCode(1)
            }
        }
    }
}
