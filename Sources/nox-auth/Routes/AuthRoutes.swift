import HTTPTypes
import Hummingbird
import NoxRuntime

/// `/api/auth/*`: sign-in, refresh, sign-out, who-am-I, the public keys.
struct AuthRoutes {
    let service: AuthService
    let authorizer: RequestAuthorizer
    let maxBody: Int

    struct LoginRequest: Decodable {
        var username: String
        var password: String
    }

    struct RefreshRequest: Decodable {
        var refresh_token: String
    }

    struct MeResponse: Encodable {
        var username: String
        var role: String
        var permissions: [String]
        var quotas: Quotas
        var key_id: String?
    }

    struct KeySet: Encodable {
        var keys: [JSONWebKey]
    }

    func register(on router: Router<NoxRequestContext>, registry: RouteRegistry) {
        router.route(.post, "/api/auth/login", registry: registry) { request, context in
            let body = try await JSON.decode(LoginRequest.self, from: request, limit: maxBody)
            guard !body.username.isEmpty, body.username.utf8.count <= 256 else {
                throw APIError.validation(field: "username", "username must be 1 to 256 bytes.")
            }
            guard body.password.utf8.count <= 1024 else {
                throw APIError.validation(field: "password", "password must be at most 1024 bytes.")
            }
            context.state.username = Validation.isValidUsername(body.username) ? body.username : nil
            let pair = try await service.login(username: body.username, password: body.password, origin: origin(context))
            return try JSON.response(pair)
        }
        router.route(.post, "/api/auth/refresh", registry: registry) { request, context in
            let body = try await JSON.decode(RefreshRequest.self, from: request, limit: maxBody)
            let pair = try await service.refresh(body.refresh_token, origin: origin(context))
            return try JSON.response(pair)
        }
        router.route(.post, "/api/auth/logout", registry: registry) { request, context in
            let body = try await JSON.decode(RefreshRequest.self, from: request, limit: maxBody)
            try await service.logout(body.refresh_token, origin: origin(context))
            return Response(status: .noContent)
        }
        router.route(.get, "/api/auth/me", registry: registry) { request, context in
            let principal = try await authorizer.require(nil, request, context)
            return try JSON.response(
                MeResponse(
                    username: principal.username, role: principal.role, permissions: principal.permissions,
                    quotas: principal.quotas, key_id: principal.key_id
                )
            )
        }
        router.route(.get, "/api/auth/keys", registry: registry) { _, _ in
            var response = try JSON.response(KeySet(keys: service.signingKeys.jwks))
            response.headers[.cacheControl] = "public, max-age=300"
            return response
        }
    }
}

func origin(_ context: NoxRequestContext) -> AuthService.Origin {
    AuthService.Origin(requestID: context.requestID, sourceAddress: context.sourceAddress)
}
