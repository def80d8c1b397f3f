import Foundation
import Glibc
import Hummingbird
public import Logging
import NoxIPC
import NoxRuntime

/// Where nox-exec finds its sockets, state and configuration.
public struct ExecDaemonConfiguration: Sendable {
    /// `jobs.sqlite` and `runs/` (each run's submitted code).
    public var stateDirectory = "/var/lib/nox/exec"
    public var configPath = ConfigurationLoader.defaultPath
    public var configDropInDirectory = ConfigurationLoader.defaultDropInDirectory
    public var httpSocketPath = "/run/nox/http/exec.sock"
    public var varlinkSocketPath = "/run/nox/ipc/io.nox.Exec"
    public var authSocketPath = "/run/nox/ipc/io.nox.Auth"
    public var filesSocketPath = "/run/nox/ipc/io.nox.Files"
    /// The D-Bus address of systemd's bus; nil = the system bus.
    public var busAddress: String?
    /// systemd's `$CREDENTIALS_DIRECTORY`, holding `secrets.key` (see `SecretKey`).
    public var credentialsDirectory: String? = ProcessInfo.processInfo.environment["CREDENTIALS_DIRECTORY"]
    public init() {}
}

/// Builds and runs nox-exec.
public enum ExecDaemon {
    public static func run(daemon: ExecDaemonConfiguration, logger: Logger) async throws {
        // A run that closes its stdin early must not kill the daemon writing to it.
        signal(SIGPIPE, SIG_IGN)
        let configuration = try ConfigurationLoader.load(path: daemon.configPath, dropInDirectory: daemon.configDropInDirectory)
        let exec = configuration.exec
        let runs = daemon.stateDirectory + "/runs"
        try FileManager.default.createDirectory(atPath: runs, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o755])
        // Leftovers of runs that were in progress when the daemon last stopped.
        for name in (try? FileManager.default.contentsOfDirectory(atPath: runs)) ?? [] {
            try? FileManager.default.removeItem(atPath: runs + "/" + name)
        }
        // Usage reports of runs (systemd makes it as RuntimeDirectory=; by hand, we do).
        if mkdir(RunUnit.usageDirectory, 0o711) != 0 && errno != EEXIST {
            throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO)
        }
        // The secrets key first: without it nox-exec refuses to start, saying what is missing.
        let secrets = try SecretVault(
            path: daemon.stateDirectory + "/secrets.sqlite", key: try SecretKey.load(credentialsDirectory: daemon.credentialsDirectory))
        SecretDelivery.removeLeftovers()
        let store = try JobStore(path: daemon.stateDirectory + "/jobs.sqlite")
        let interrupted = try store.recoverInterrupted()
        if interrupted > 0 { logger.warning("Runs interrupted by the last stop were marked as error", metadata: ["nox.count": "\(interrupted)"]) }
        _ = try? store.prune(olderThan: Date(timeIntervalSinceNow: -Double(exec.historyDays) * 86_400))
        let bus = try SystemdBus(address: daemon.busAddress, logger: logger)
        // The interrupted jobs' units may still be running (the daemon was restarted or crashed while
        // they ran): their output has no reader and their slots are not counted any more, so they
        // must not go on using the user's quota until their RuntimeMaxSec=.
        let runner = UnitRunner(bus: bus, logger: logger)
        let leftovers = await runner.stopLeftovers()
        if leftovers > 0 { logger.warning("Runs left by the last nox-exec were stopped", metadata: ["nox.count": "\(leftovers)"]) }
        let languages = LanguageCatalog(directories: exec.languageDirectories, logger: logger)
        for problem in languages.problems { logger.warning("Language manifest skipped: \(problem)") }
        let service = ExecService(
            store: store, queue: JobQueue(globalConcurrency: exec.maxRunning, maxQueued: exec.maxQueued), outputs: RunOutputs(),
            languages: languages, runner: runner, slices: UserSlices(bus: bus, logger: logger),
            sandboxes: SandboxLocator(filesSocketPath: daemon.filesSocketPath, logger: logger), runsDirectory: runs,
            configuration: exec, logger: logger
        )
        // `systemctl stop`/`restart`: end the runs at once (the HTTP server's graceful shutdown would
        // otherwise wait for every run a request is waiting on, up to its timeout, and runs nobody
        // waits on would outlive the daemon). A second handler beside ServiceLifecycle's: libdispatch
        // delivers a signal to every source registered for it.
        let terminate = DispatchSource.makeSignalSource(signal: SIGTERM, queue: .global())
        terminate.setEventHandler { Task { await service.abortAll() } }
        terminate.resume()
        defer { terminate.cancel() }
        let authClient = VarlinkClient(path: daemon.authSocketPath, logger: logger)
        let authenticator = RemoteAuthenticator(client: authClient, userCacheTTL: .seconds(configuration.auth.userCacheTTL), logger: logger)
        let snippets = try SnippetStore(path: daemon.stateDirectory + "/snippets.sqlite")
        // A TTL or bound of 0 turns `cache: true` into a no-op.
        let cache = exec.cacheTTLSeconds > 0 && exec.cacheEntriesPerUser > 0
            ? ExecCache(
                cache: try ResultCache(
                    path: daemon.stateDirectory + "/cache.sqlite", ttlSeconds: exec.cacheTTLSeconds, entriesPerUser: exec.cacheEntriesPerUser),
                store: store, languages: languages, sandboxes: service.sandboxes)
            : nil
        let router = Router(context: NoxRequestContext.self)
        let registry = RouteRegistry()
        router.add(middleware: RequestMiddleware(registry: registry))
        ExecRoutes(
            service: service, authorizer: RequestAuthorizer(authenticator: authenticator),
            maxJSONBody: max(configuration.runtime.maxJSONBodyBytes, 16 << 20), networkRoles: exec.networkRoles, secrets: secrets,
            snippets: snippets, cache: cache
        ).register(on: router, registry: registry)
        let authorizer = RequestAuthorizer(authenticator: authenticator)
        SnippetRoutes(store: snippets, languages: languages, authorizer: authorizer).register(on: router, registry: registry)
        TemplateRoutes(catalog: TemplateCatalog(logger: logger), sandboxes: service.sandboxes, authorizer: authorizer)
            .register(on: router, registry: registry)
        SecretRoutes(vault: secrets, authorizer: RequestAuthorizer(authenticator: authenticator)).register(on: router, registry: registry)
        try await DaemonRunner.serve(
            name: "nox-exec", http: router.buildResponder(), varlink: [try ExecVarlinkInterface.make(service: service)],
            sockets: .init(httpPath: daemon.httpSocketPath, varlinkPath: daemon.varlinkSocketPath),
            // Never idle while runs are in progress: the queue counts as activity.
            idleExitSeconds: configuration.runtime.idleExitSeconds,
            isBusy: { [queue = service.queue] in queue.counts.running + queue.counts.waiting > 0 }, logger: logger
        )
        // Runs nobody was waiting on (async) did not hold the shutdown up: end them too, and let
        // their results be recorded and their units go before the process does.
        await service.abortAll()
        await service.waitForRuns(limit: .seconds(10))
        await authClient.close()
        await service.sandboxes.close()
    }
}
