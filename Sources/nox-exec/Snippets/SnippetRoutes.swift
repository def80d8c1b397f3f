import Foundation
import Hummingbird
import NoxRuntime

/// `/api/snippets` and `/api/snippets/{id}`. Reading and running needs `exec:run`; global
/// snippets are written only by holders of `admin:users` (the admins: the permission that already
/// means "may act for everyone", so no new permission has to reach every role and key).
struct SnippetRoutes {
    let store: SnippetStore
    let languages: LanguageCatalog
    let authorizer: RequestAuthorizer

    func register(on router: Router<NoxRequestContext>, registry: RouteRegistry) {
        router.route(.get, "/api/snippets", registry: registry) { request, context in
            let principal = try await authorizer.require(.execRun, request, context)
            let page = try PageRequest(from: request)
            let filter = try Self.filter(request)
            return try JSON.response(try await offPool { [store] in try store.list(username: principal.username, filter: filter, page: page) })
        }
        router.route(.post, "/api/snippets", registry: registry) { request, context in
            let principal = try await authorizer.require(.execRun, request, context)
            let fields = try await JSON.decode(SnippetFields.self, from: request).validated(creating: true, resolve: canonicalLanguage)
            let global = fields.global ?? false
            if global && !principal.has(.adminUsers) { throw APIError.forbidden(Permission.adminUsers.rawValue) }
            let owner = global ? Snippet.globalOwner : principal.username
            let snippet = try await offPool { [store] in
                try store.create(
                    owner: owner, name: fields.name!, language: fields.language!, description: fields.description ?? "", tags: fields.tags ?? [],
                    code: fields.code!)
            }
            return try JSON.response(snippet, status: .created)
        }
        router.route(.get, "/api/snippets/{id}", registry: registry) { request, context in
            let principal = try await authorizer.require(.execRun, request, context)
            return try JSON.response(try await find(context, principal).snippet)
        }
        router.route(.patch, "/api/snippets/{id}", registry: registry) { request, context in
            let principal = try await authorizer.require(.execRun, request, context)
            let fields = try await JSON.decode(SnippetFields.self, from: request).validated(creating: false, resolve: canonicalLanguage)
            let found = try await writable(context, principal)
            let update = SnippetUpdate(name: fields.name, language: fields.language, description: fields.description, tags: fields.tags, code: fields.code)
            guard let snippet = try await offPool({ [store] in try store.update(id: found.id, fields: update, username: principal.username) }) else {
                throw APIError.notFound("snippet")
            }
            return try JSON.response(snippet)
        }
        router.route(.delete, "/api/snippets/{id}", registry: registry) { request, context in
            let principal = try await authorizer.require(.execRun, request, context)
            let found = try await writable(context, principal)
            _ = try await offPool { [store] in try store.delete(id: found.id) }
            return Response(status: .noContent)
        }
    }

    func canonicalLanguage(_ name: String) -> String? { languages.resolve(name)?.name }

    /// The snippet the path names, as the caller sees it (another user's: 404).
    func find(_ context: NoxRequestContext, _ principal: Principal) async throws -> (snippet: Snippet, owner: String) {
        guard let id = context.parameters.get("id"),
            let found = try await offPool({ [store] in try store.find(id, username: principal.username) })
        else { throw APIError.notFound("snippet") }
        return found
    }

    /// The snippet the path names if the caller may change it: their own, or a global one for an admin.
    func writable(_ context: NoxRequestContext, _ principal: Principal) async throws -> Snippet {
        let found = try await find(context, principal)
        if found.owner == Snippet.globalOwner && !principal.has(.adminUsers) { throw APIError.forbidden(Permission.adminUsers.rawValue) }
        return found.snippet
    }

    static func filter(_ request: Request) throws -> SnippetStore.Filter {
        let query = request.uri.queryParameters
        var filter = SnippetStore.Filter()
        if let text = query["q"], !text.isEmpty {
            guard text.count <= JobStore.maximumQueryCharacters else { throw APIError.validation(field: "q", "q is longer than 1000 characters.") }
            filter.query = String(text)
        }
        if let tag = query["tag"], !tag.isEmpty { filter.tag = String(tag) }
        if let language = query["language"], !language.isEmpty { filter.language = String(language) }
        if let scope = query["scope"], !scope.isEmpty {
            guard let parsed = SnippetStore.Filter.Scope(rawValue: String(scope)) else {
                throw APIError.validation(field: "scope", "scope must be one of mine, global, all.")
            }
            filter.scope = parsed
        }
        return filter
    }
}
