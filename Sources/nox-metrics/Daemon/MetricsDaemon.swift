import Foundation
import Hummingbird
public import Logging
import NoxIPC
import NoxRuntime

/// Where nox-metrics finds its sockets, state, configuration and the other daemons.
public struct MetricsDaemonConfiguration: Sendable {
    /// `history.sqlite`.
    public var stateDirectory = "/var/lib/nox/metrics"
    /// Whose filesystem the `disk` figures describe.
    public var noxStateDirectory = "/var/lib/nox"
    public var configPath = ConfigurationLoader.defaultPath
    public var configDropInDirectory = ConfigurationLoader.defaultDropInDirectory
    public var httpSocketPath = "/run/nox/http/metrics.sock"
    public var varlinkSocketPath = "/run/nox/ipc/io.nox.Metrics"
    /// The directory of the other daemons' Varlink sockets.
    public var ipcDirectory = "/run/nox/ipc"
    /// The D-Bus address of systemd's bus; nil = the system bus.
    public var busAddress: String?
    public init() {}
}

/// Builds and runs nox-metrics. It samples once a second for its history and live stream, so
/// unlike the other daemons it never exits when idle: nox.target starts it.
public enum MetricsDaemon {
    public static func run(daemon: MetricsDaemonConfiguration, logger: Logger) async throws {
        let configuration = try ConfigurationLoader.load(path: daemon.configPath, dropInDirectory: daemon.configDropInDirectory)
        let others = NoxDaemon.others(ipcDirectory: daemon.ipcDirectory)
        let units = SystemdUnits(address: daemon.busAddress, logger: logger)
        let sampler = SystemSampler(
            units: units, daemons: others + [NoxDaemon(name: "metrics", varlinkPath: daemon.varlinkSocketPath)],
            stateDirectory: daemon.noxStateDirectory)
        let history = try HistoryStore(path: daemon.stateDirectory + "/history.sqlite", retentionDays: configuration.metrics.historyDays)
        let broadcaster = SnapshotBroadcaster()
        let storage = StorageCache(filesPath: daemon.ipcDirectory + "/io.nox.Files", authPath: daemon.ipcDirectory + "/io.nox.Auth", logger: logger)
        let authClient = VarlinkClient(path: daemon.ipcDirectory + "/io.nox.Auth", logger: logger)
        let authenticator = RemoteAuthenticator(client: authClient, userCacheTTL: .seconds(configuration.auth.userCacheTTL), logger: logger)

        let router = Router(context: NoxRequestContext.self)
        let registry = RouteRegistry()
        router.add(middleware: RequestMiddleware(registry: registry))
        MetricsRoutes(
            health: HealthChecker(daemons: others, units: units), sampler: sampler, broadcaster: broadcaster, history: history,
            stats: StatsService(execPath: daemon.ipcDirectory + "/io.nox.Exec", filesPath: daemon.ipcDirectory + "/io.nox.Files"),
            exporter: MetricsExporter(daemons: others, broadcaster: broadcaster, sampler: sampler, storage: storage, logger: logger),
            authorizer: RequestAuthorizer(authenticator: authenticator),
            scrapeAllow: configuration.metrics.scrapeAllow.compactMap(IPAddressRange.init)
        ).register(on: router, registry: registry)

        try await DaemonRunner.serve(
            name: "nox-metrics", http: router.buildResponder(), varlink: [],
            sockets: .init(httpPath: daemon.httpSocketPath, varlinkPath: daemon.varlinkSocketPath),
            // Sampling must go on between requests: never idle-exit.
            idleExitSeconds: 0,
            services: [
                SamplingService(sampler: sampler, history: history, broadcaster: broadcaster, logger: logger),
                StorageRefreshService(storage: storage, broadcaster: broadcaster),
            ],
            logger: logger
        )
        await authClient.close()
    }
}
