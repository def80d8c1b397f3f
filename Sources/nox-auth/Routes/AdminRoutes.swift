import Foundation
import HTTPTypes
import Hummingbird
import NoxRuntime

/// `/api/admin/users` and `/api/admin/audit`.
struct AdminRoutes {
    let service: AuthService
    let authorizer: RequestAuthorizer
    let maxBody: Int

    struct CreateRequest: Decodable {
        var username: String
        var password: String
        var role: String
        var quotas: [String: Int]?
    }

    struct PatchRequest: Decodable {
        var role: String?
        var password: String?
        /// A quota set to null goes back to the server default.
        var quotas: [String: Int?]?
        var disabled: Bool?
    }

    struct UserResponse: Encodable, Sendable {
        var username: String
        var role: String
        var quotas: Quotas
        var disabled: Bool
        var created_at: String
        var updated_at: String
    }

    func userResponse(_ user: UserRecord) -> UserResponse {
        UserResponse(
            username: user.username, role: user.role.rawValue, quotas: service.quotas(of: user),
            disabled: user.disabled, created_at: Clock.rfc3339(user.createdAt), updated_at: Clock.rfc3339(user.updatedAt)
        )
    }

    func register(on router: Router<NoxRequestContext>, registry: RouteRegistry) {
        router.route(.post, "/api/admin/users", registry: registry) { request, context in
            let admin = try await authorizer.require(.adminUsers, request, context)
            let body = try await JSON.decode(CreateRequest.self, from: request, limit: maxBody)
            let username = try Validation.username(body.username)
            let password = try Validation.password(body.password)
            let role = try Validation.role(body.role)
            let quotas = try Validation.quotas(body.quotas ?? [:])
            let hash = try await service.hashPassword(password)
            guard
                let user = try await service.users.create(
                    username: username, passwordHash: hash, role: role, quotaOverrides: quotas, now: Clock.now())
            else {
                try await service.record(admin.username, "user.create", target: username, .failure, origin(context))
                throw APIError.conflict(code: "user_exists", "A user named \(username) already exists.")
            }
            try await service.record(admin.username, "user.create", target: username, .success, origin(context))
            return try JSON.response(userResponse(user), status: .created)
        }
        router.route(.get, "/api/admin/users", registry: registry) { request, context in
            _ = try await authorizer.require(.adminUsers, request, context)
            let page = try PageRequest(from: request)
            let users = try await service.users.list(after: page.cursor, limit: page.limit + 1)
            let items = users.prefix(page.limit).map(userResponse)
            let next = users.count > page.limit ? items.last.map { PageRequest.cursor(for: $0.username) } : nil
            return try JSON.response(Page(items: Array(items), next_cursor: next))
        }
        router.route(.get, "/api/admin/users/{name}", registry: registry) { request, context in
            _ = try await authorizer.require(.adminUsers, request, context)
            guard let user = try await service.users.find(context.parameters.get("name") ?? "") else {
                throw APIError.notFound("user")
            }
            return try JSON.response(userResponse(user))
        }
        router.route(.patch, "/api/admin/users/{name}", registry: registry) { request, context in
            let admin = try await authorizer.require(.adminUsers, request, context)
            let name = context.parameters.get("name") ?? ""
            let body = try await JSON.decode(PatchRequest.self, from: request, limit: maxBody)
            var change = UserStore.Change()
            change.role = try body.role.map { try Validation.role($0) }
            change.quotaOverrides = try body.quotas.map { try Validation.quotaChanges($0) }
            change.disabled = body.disabled
            if let password = body.password {
                change.passwordHash = try await service.hashPassword(try Validation.password(password))
            }
            switch try await service.users.update(name, change, now: Clock.now()) {
            case .notFound:
                throw APIError.notFound("user")
            case .lastAdmin:
                try await service.record(admin.username, "user.update", target: name, .denied, origin(context))
                throw APIError.conflict(code: "last_admin", "This change would leave Nox without an enabled administrator.")
            case .updated(let user):
                try await service.record(admin.username, "user.update", target: name, .success, origin(context))
                if body.disabled == true {
                    try await service.record(admin.username, "user.disable", target: name, .success, origin(context))
                }
                return try JSON.response(userResponse(user))
            }
        }
        router.route(.delete, "/api/admin/users/{name}", registry: registry) { request, context in
            let admin = try await authorizer.require(.adminUsers, request, context)
            let name = context.parameters.get("name") ?? ""
            switch try await service.users.delete(name) {
            case .notFound:
                throw APIError.notFound("user")
            case .lastAdmin:
                try await service.record(admin.username, "user.delete", target: name, .denied, origin(context))
                throw APIError.conflict(code: "last_admin", "This would delete the last enabled administrator.")
            case .deleted:
                try await service.record(admin.username, "user.delete", target: name, .success, origin(context))
                await service.userDataCleaner.userDeleted(name)
                return Response(status: .noContent)
            }
        }
        router.route(.get, "/api/admin/audit", registry: registry) { request, context in
            _ = try await authorizer.require(.adminAudit, request, context)
            let page = try PageRequest(from: request)
            let parameters = request.uri.queryParameters
            func time(_ name: String) throws -> UnixTime? {
                guard let text = parameters.get(name), !text.isEmpty else { return nil }
                guard let time = Clock.parseRFC3339(text) else {
                    throw APIError.validation(field: name, "\(name) must be an RFC 3339 time such as 2026-01-31T12:00:00Z.")
                }
                return time
            }
            var beforeID: Int?
            if let cursor = page.cursor {
                guard let id = Int(cursor) else { throw APIError.validation(field: "cursor", "cursor is not one this server issued.") }
                beforeID = id
            }
            let query = AuditLog.Query(
                user: parameters.get("user").flatMap { $0.isEmpty ? nil : $0 },
                action: parameters.get("action").flatMap { $0.isEmpty ? nil : $0 },
                since: try time("since"), until: try time("until"), beforeID: beforeID, limit: page.limit + 1
            )
            let events = try await service.audit.query(query)
            let items = Array(events.prefix(page.limit))
            let next = events.count > page.limit ? items.last?.id.map { PageRequest.cursor(for: String($0)) } : nil
            return try JSON.response(Page(items: items, next_cursor: next))
        }
    }
}
