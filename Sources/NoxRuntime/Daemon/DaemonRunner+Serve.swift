public import Hummingbird
public import Logging
public import NoxIPC
import ServiceLifecycle

extension DaemonRunner {
    /// Where a daemon listens: systemd's sockets (`FileDescriptorName=http` and `varlink`) when
    /// socket-activated, else these paths (development).
    public struct Sockets: Sendable {
        public var httpPath: String
        public var varlinkPath: String
        public init(httpPath: String, varlinkPath: String) {
            self.httpPath = httpPath
            self.varlinkPath = varlinkPath
        }
    }

    /// Serves a Nox daemon's two faces — its HTTP router and its Varlink interfaces — until
    /// SIGTERM (or the idle timeout), the same way for every daemon. `isBusy` keeps the daemon from
    /// exiting when idle while work that is not a request is in progress. Every daemon also serves
    /// `io.nox.Metrics` (its swift-metrics registry, for nox-metrics); `services` run before the servers.
    public static func serve<Responder: HTTPResponder>(
        name: String,
        http responder: Responder,
        varlink interfaces: [VarlinkInterface],
        sockets: Sockets,
        idleExitSeconds: Int,
        isBusy: @escaping @Sendable () -> Bool = { false },
        services extraServices: [any Service] = [],
        logger: Logger
    ) async throws where Responder.Context == NoxRequestContext {
        NoxMetrics.bootstrap()
        let activation = SocketActivation.fromEnvironment()
        let httpSocket = activation.first(named: "http").map(ListenSocket.inherited) ?? .path(sockets.httpPath)
        let varlinkSocket = activation.first(named: "varlink").map(VarlinkListenSocket.fileDescriptor) ?? .path(sockets.varlinkPath)
        let varlink = try VarlinkServer(
            info: VarlinkServiceInfo(vendor: "Nox", product: name, version: NoxVersion.current, url: "https://github.com/nox"),
            interfaces: interfaces + [try MetricsVarlinkInterface.make(service: name)],
            logger: logger
        )
        // Busy, for the idle exit: a Varlink peer connected, or whatever the daemon says (runs in progress).
        let activity = ActivityTracker(isBusy: { varlink.activeConnectionCount > 0 || isBusy() })
        let services: [any Service] = extraServices + [
            VarlinkServerService(server: varlink, socket: varlinkSocket),
            ActivatedHTTPServer(socket: httpSocket, responder: responder, activity: activity, logger: logger),
        ]
        try await run(name: name, services: services, activity: activity, idleExitSeconds: idleExitSeconds, logger: logger)
    }
}
