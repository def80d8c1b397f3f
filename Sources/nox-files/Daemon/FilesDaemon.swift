import Foundation
import GRDB
import Hummingbird
public import Logging
import NoxIPC
import NoxRuntime
import ServiceLifecycle

/// Where nox-files finds its sockets, state and configuration.
public struct FilesDaemonConfiguration: Sendable {
    /// Indexes, backups and `files.sqlite`.
    public var stateDirectory = "/var/lib/nox/files"
    /// The users' sandboxes.
    public var usersDirectory = "/var/lib/nox/users"
    public var configPath = ConfigurationLoader.defaultPath
    public var configDropInDirectory = ConfigurationLoader.defaultDropInDirectory
    /// Used only when systemd passed no sockets (development).
    public var httpSocketPath = "/run/nox/http/files.sock"
    public var varlinkSocketPath = "/run/nox/ipc/io.nox.Files"
    /// nox-auth's Varlink socket, for authenticating requests.
    public var authSocketPath = "/run/nox/ipc/io.nox.Auth"
    public init() {}
}

/// Builds and runs nox-files.
public enum FilesDaemon {
    /// The router with every nox-files endpoint, for the server and for tests.
    public static func buildRouter(
        files: FilesService, backups: BackupService, authenticator: any Authenticator, configuration: NoxConfiguration
    ) -> Router<NoxRequestContext> {
        let router = Router(context: NoxRequestContext.self)
        let registry = RouteRegistry()
        router.add(middleware: RequestMiddleware(registry: registry))
        let authorizer = RequestAuthorizer(authenticator: authenticator)
        let maxJSONBody = configuration.runtime.maxJSONBodyBytes
        FileRoutes(service: files, authorizer: authorizer, maxJSONBody: maxJSONBody).register(on: router, registry: registry)
        UploadRoutes(service: files, authorizer: authorizer).register(on: router, registry: registry)
        BackupRoutes(service: files, backups: backups, authorizer: authorizer, maxJSONBody: maxJSONBody).register(on: router, registry: registry)
        return router
    }

    public static func makeServices(
        daemon: FilesDaemonConfiguration, configuration: NoxConfiguration, logger: Logger
    ) throws -> (FilesService, BackupService) {
        let files = try FilesService(
            sandboxes: UserSandboxes(root: daemon.usersDirectory), stateDirectory: daemon.stateDirectory,
            configuration: configuration.files, logger: logger
        )
        let database = try NoxDatabase.openPool(at: daemon.stateDirectory + "/files.sqlite", migrator: BackupService.migrator)
        return (files, try BackupService(files: files, database: database))
    }

    public static func run(daemon: FilesDaemonConfiguration, logger: Logger) async throws {
        let configuration = try ConfigurationLoader.load(path: daemon.configPath, dropInDirectory: daemon.configDropInDirectory)
        let (files, backups) = try makeServices(daemon: daemon, configuration: configuration, logger: logger)
        let authClient = VarlinkClient(path: daemon.authSocketPath, logger: logger)
        let authenticator = RemoteAuthenticator(
            client: authClient, userCacheTTL: .seconds(configuration.auth.userCacheTTL), logger: logger)
        let router = buildRouter(files: files, backups: backups, authenticator: authenticator, configuration: configuration)
        try await DaemonRunner.serve(
            name: "nox-files", http: router.buildResponder(),
            varlink: [try FilesVarlinkInterface.make(service: files, backups: backups)],
            sockets: .init(httpPath: daemon.httpSocketPath, varlinkPath: daemon.varlinkSocketPath),
            idleExitSeconds: configuration.runtime.idleExitSeconds, logger: logger
        )
        await authClient.close()
    }
}
