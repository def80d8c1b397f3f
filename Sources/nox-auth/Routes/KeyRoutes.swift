import Foundation
import HTTPTypes
import Hummingbird
import NoxRuntime

/// `/api/keys`: a user's own API keys.
struct KeyRoutes {
    let service: AuthService
    let authorizer: RequestAuthorizer
    let maxBody: Int

    struct CreateRequest: Decodable {
        var name: String
        var scopes: [String]?
        var expires_in_days: Int?
    }

    struct KeyResponse: Encodable, Sendable {
        var id: String
        var name: String
        var key: String?
        var prefix: String
        var scopes: [String]
        var created_at: String
        var expires_at: String?

        init(_ record: APIKeyRecord, secret: String? = nil) {
            id = record.id
            name = record.name
            key = secret
            prefix = record.prefix
            scopes = record.scopes
            created_at = Clock.rfc3339(record.createdAt)
            expires_at = record.expiresAt.map(Clock.rfc3339)
        }

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(id, forKey: .id)
            try container.encode(name, forKey: .name)
            try container.encodeIfPresent(key, forKey: .key)
            try container.encode(prefix, forKey: .prefix)
            try container.encode(scopes, forKey: .scopes)
            try container.encode(created_at, forKey: .created_at)
            try container.encode(expires_at, forKey: .expires_at)
        }
        enum CodingKeys: String, CodingKey { case id, name, key, prefix, scopes, created_at, expires_at }
    }

    func register(on router: Router<NoxRequestContext>, registry: RouteRegistry) {
        router.route(.post, "/api/keys", registry: registry) { request, context in
            let principal = try await authorizer.require(.keysManage, request, context)
            let body = try await JSON.decode(CreateRequest.self, from: request, limit: maxBody)
            let name = body.name.trimmingCharacters(in: .whitespacesAndNewlines)
            guard (1...100).contains(name.count) else {
                throw APIError.validation(field: "name", "name must be 1 to 100 characters.")
            }
            // A key may carry at most what the credential creating it carries.
            let scopes = body.scopes.map { Array(Set($0)).sorted() } ?? principal.permissions
            for scope in scopes where !principal.permissions.contains(scope) {
                let known = Permission.all.map(\.rawValue).contains(scope)
                throw APIError(
                    .unprocessableContent, code: "validation_failed",
                    message: known ? "The scope \(scope) is beyond your own permissions." : "Unknown scope \(scope).",
                    details: ["field": "scopes", "scope": scope]
                )
            }
            var expiresAt: UnixTime?
            if let days = body.expires_in_days {
                guard (1...3650).contains(days) else {
                    throw APIError.validation(field: "expires_in_days", "expires_in_days must be from 1 to 3650.")
                }
                expiresAt = Clock.now() + days * 86_400
            }
            let (record, secret) = try await service.keys.create(
                username: principal.username, name: name, scopes: scopes, expiresAt: expiresAt, now: Clock.now()
            )
            try await service.record(principal.username, "key.create", target: record.id, .success, origin(context))
            return try JSON.response(KeyResponse(record, secret: secret), status: .created)
        }
        router.route(.get, "/api/keys", registry: registry) { request, context in
            let principal = try await authorizer.require(.keysManage, request, context)
            let page = try PageRequest(from: request)
            let records = try await service.keys.list(username: principal.username, after: page.cursor, limit: page.limit + 1)
            let items = records.prefix(page.limit).map { KeyResponse($0) }
            let next = records.count > page.limit ? items.last.map { PageRequest.cursor(for: $0.id) } : nil
            return try JSON.response(Page(items: Array(items), next_cursor: next))
        }
        router.route(.delete, "/api/keys/{id}", registry: registry) { request, context in
            let principal = try await authorizer.require(.keysManage, request, context)
            let id = context.parameters.get("id") ?? ""
            guard try await service.keys.delete(id: id, username: principal.username) else {
                // Another user's key is as unknown as a missing one.
                throw APIError.notFound("API key")
            }
            try await service.record(principal.username, "key.delete", target: id, .success, origin(context))
            return Response(status: .noContent)
        }
    }
}
