import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOPosix
import NoxRuntime

/// `/api/secrets`: the caller's own secrets, write-only (values go in, never come out).
/// Managing them needs `exec:run`: they exist only to be given to runs, so a role that cannot
/// run code (viewer) has no use for them. Journal entries name the secret, never the value.
struct SecretRoutes {
    let vault: SecretVault
    let authorizer: RequestAuthorizer

    struct PutBody: Decodable, Sendable { var value: String }

    func register(on router: Router<NoxRequestContext>, registry: RouteRegistry) {
        router.route(.get, "/api/secrets", registry: registry) { request, context in
            let principal = try await authorizer.require(.execRun, request, context)
            let page = try PageRequest(from: request)
            return try JSON.response(try await blocking { [vault] in try vault.list(username: principal.username, page: page) })
        }
        router.route(.put, "/api/secrets/{name}", registry: registry) { request, context in
            let principal = try await authorizer.require(.execRun, request, context)
            let name = try Self.name(context)
            // A value of 64 KiB is at most ~6×64 KiB as JSON escapes (\u0001); the vault checks the real size.
            let body = try await JSON.decode(PutBody.self, from: request, limit: 6 * SecretName.maximumValueBytes + 1024)
            try SecretName.check(value: body.value)
            let (metadata, created) = try await blocking { [vault] in
                try vault.put(username: principal.username, name: name, value: body.value)
            }
            context.logger.notice(created ? "Secret created" : "Secret replaced", metadata: ["nox.secret": .string(name)])
            return try JSON.response(metadata, status: created ? .created : .ok)
        }
        router.route(.delete, "/api/secrets/{name}", registry: registry) { request, context in
            let principal = try await authorizer.require(.execRun, request, context)
            let name = try Self.name(context)
            guard try await blocking({ [vault] in try vault.delete(username: principal.username, name: name) }) else {
                throw APIError.notFound("secret")
            }
            context.logger.notice("Secret deleted", metadata: ["nox.secret": .string(name)])
            return Response(status: .noContent)
        }
    }

    static func name(_ context: NoxRequestContext) throws -> String {
        let name = context.parameters.get("name") ?? ""
        try SecretName.check(name)
        return name
    }

    func blocking<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await NIOThreadPool.singleton.runIfActive(body)
    }
}
