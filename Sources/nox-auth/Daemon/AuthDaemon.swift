import Foundation
import Hummingbird
public import Logging
import NoxIPC
import NoxRuntime
import ServiceLifecycle

/// Where nox-auth finds its sockets, state and configuration.
public struct AuthDaemonConfiguration: Sendable {
    public var stateDirectory = "/var/lib/nox/auth"
    public var configPath = ConfigurationLoader.defaultPath
    public var configDropInDirectory = ConfigurationLoader.defaultDropInDirectory
    /// Used only when systemd passed no sockets (development).
    public var httpSocketPath = "/run/nox/http/auth.sock"
    public var varlinkSocketPath = "/run/nox/ipc/io.nox.Auth"
    /// nox-files' Varlink socket: told when a user is deleted. Nil: nobody is told.
    public var filesSocketPath: String? = "/run/nox/ipc/io.nox.Files"
    public init() {}
}

/// Builds and runs nox-auth.
public enum AuthDaemon {
    /// The router with every nox-auth endpoint, for the server and for tests.
    public static func buildRouter(service: AuthService, configuration: NoxConfiguration) -> Router<NoxRequestContext> {
        let router = Router(context: NoxRequestContext.self)
        let registry = RouteRegistry()
        router.add(middleware: RequestMiddleware(registry: registry))
        let authorizer = RequestAuthorizer(authenticator: LocalAuthenticator(service: service))
        let maxBody = configuration.runtime.maxJSONBodyBytes
        AuthRoutes(service: service, authorizer: authorizer, maxBody: maxBody).register(on: router, registry: registry)
        KeyRoutes(service: service, authorizer: authorizer, maxBody: maxBody).register(on: router, registry: registry)
        AdminRoutes(service: service, authorizer: authorizer, maxBody: maxBody).register(on: router, registry: registry)
        return router
    }

    /// Opens the database and keys and makes sure the first admin exists.
    public static func makeService(daemon: AuthDaemonConfiguration, configuration: NoxConfiguration, logger: Logger) async throws -> AuthService {
        try FileManager.default.createDirectory(
            atPath: daemon.stateDirectory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        let database = try AuthDatabase(path: daemon.stateDirectory + "/auth.sqlite")
        let keys = try SigningKeys.load(directory: daemon.stateDirectory + "/keys")
        let service = try AuthService(
            database: database, signingKeys: keys, configuration: configuration, logger: logger,
            userDataCleaner: UserDataCleaner(filesSocketPath: daemon.filesSocketPath, logger: logger)
        )
        if let password = initialAdminPassword() {
            try await service.bootstrapAdmin(password: password, logger: logger)
        } else if try await service.users.count() == 0 {
            logger.warning(
                "No users exist and no initial-admin-password credential was given; create one with the package's postinst or a LoadCredential= drop-in"
            )
        }
        try await service.refreshTokens.prune(now: Clock.now())
        return service
    }

    public static func run(daemon: AuthDaemonConfiguration, logger: Logger) async throws {
        let configuration = try ConfigurationLoader.load(path: daemon.configPath, dropInDirectory: daemon.configDropInDirectory)
        let service = try await makeService(daemon: daemon, configuration: configuration, logger: logger)
        let router = buildRouter(service: service, configuration: configuration)
        try await DaemonRunner.serve(
            name: "nox-auth", http: router.buildResponder(), varlink: [try AuthVarlinkInterface.make(service: service)],
            sockets: .init(httpPath: daemon.httpSocketPath, varlinkPath: daemon.varlinkSocketPath),
            idleExitSeconds: configuration.runtime.idleExitSeconds, logger: logger
        )
    }

    /// The install-time password, delivered by systemd as a credential (`LoadCredential=`).
    static func initialAdminPassword() -> String? {
        guard let directory = ProcessInfo.processInfo.environment["CREDENTIALS_DIRECTORY"],
            let names = try? FileManager.default.contentsOfDirectory(atPath: directory),
            let name = names.sorted().first(where: { $0.hasSuffix("initial-admin-password") }),
            let data = FileManager.default.contents(atPath: directory + "/" + name),
            let text = String(data: data, encoding: .utf8)?.trimmingCharacters(in: .whitespacesAndNewlines),
            text.count >= 8
        else { return nil }
        return text
    }
}
