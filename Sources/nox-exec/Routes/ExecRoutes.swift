import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import NoxRuntime

/// `/api/languages`, `/api/exec`, `/api/jobs/{id}` (+ `/events`), `/api/history`.
struct ExecRoutes {
    let service: ExecService
    let authorizer: RequestAuthorizer
    let maxJSONBody: Int
    let networkRoles: [String]
    /// The users' secrets, resolved for the runs that name them (`secrets`).
    let secrets: SecretVault
    /// `snippet` in `POST /api/exec` (nil: not offered).
    var snippets: SnippetStore? = nil
    /// `cache: true` in `POST /api/exec` (nil: the flag is accepted and ignored).
    var cache: ExecCache? = nil

    struct LanguagesResponse: Encodable, Sendable { var items: [Language.APIItem] }
    struct QueuedResponse: Encodable, Sendable {
        var id: String
        var status: RunStatus
    }

    func register(on router: Router<NoxRequestContext>, registry: RouteRegistry) {
        router.route(.get, "/api/languages", registry: registry) { request, context in
            _ = try await authorizer.require(nil, request, context)
            return try JSON.response(LanguagesResponse(items: service.languages.available().map(\.apiItem)))
        }
        router.route(.post, "/api/exec", registry: registry) { request, context in
            let principal = try await authorizer.require(.execRun, request, context)
            let sent = try await JSON.decode(ExecRequestBody.self, from: request, limit: maxJSONBody)
            let body = try await resolvingSnippet(sent, principal)
            var job = try body.validated(for: principal, canUseNetwork: networkRoles.contains(principal.role))
            job.secrets = try await service.blocking { [secrets, names = body.secrets ?? []] in
                try secrets.resolve(username: principal.username, names: names)
            }
            let cacheKey = body.cache == true ? try await cache?.key(for: job, secretNames: body.secrets ?? []) : nil
            if let cacheKey, let hit = try await cache?.hit(key: cacheKey, username: principal.username) {
                return try JSON.response(CachedRunResult(result: hit, cached: true))
            }
            let result = try await service.submit(job, principal: principal)
            if let cacheKey { await cache?.remember(key: cacheKey, username: principal.username, result: result) }
            if job.wait { return body.cache == true ? try JSON.response(CachedRunResult(result: result, cached: false)) : try JSON.response(result) }
            return try JSON.response(QueuedResponse(id: result.id, status: .queued), status: .accepted)
        }
        router.route(.get, "/api/jobs/{id}", registry: registry) { request, context in
            let principal = try await authorizer.require(.historyRead, request, context)
            return try JSON.response(try await job(context, principal.username))
        }
        router.route(.delete, "/api/jobs/{id}", registry: registry) { request, context in
            let principal = try await authorizer.require(.execRun, request, context)
            let current = try await job(context, principal.username)
            guard !current.status.isFinal else {
                throw APIError.conflict(code: "job_finished", "The job has already ended (\(current.status.rawValue)).")
            }
            _ = try await service.cancel(id: current.id, username: principal.username)
            return try JSON.response(QueuedResponse(id: current.id, status: current.status), status: .accepted)
        }
        router.route(.get, "/api/jobs/{id}/events", registry: registry) { request, context in
            let principal = try await authorizer.require(.historyRead, request, context)
            let current = try await job(context, principal.username)
            return events(of: current)
        }
        router.route(.get, "/api/history", registry: registry) { request, context in
            let principal = try await authorizer.require(.historyRead, request, context)
            let page = try PageRequest(from: request)
            let filters = try Self.filters(request)
            let history = try await service.blocking { [store = service.store] in try store.history(username: principal.username, filters: filters, page: page) }
            return try JSON.response(history)
        }
    }

    func job(_ context: NoxRequestContext, _ username: String) async throws -> RunResult {
        guard let id = context.parameters.get("id"), let result = try await service.result(id: id, username: username) else {
            throw APIError.notFound("job")
        }
        return result
    }

    /// SSE: what the run has written so far, then live output, then the result. A run that ended
    /// long ago is replayed from the store the same way.
    func events(of job: RunResult) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "text/event-stream; charset=utf-8"
        headers[.cacheControl] = "no-store"
        headers[HTTPField.Name("X-Accel-Buffering")!] = "no"
        let live = service.outputs.get(job.id)?.subscribe()
        return Response(status: .ok, headers: headers, body: ResponseBody { writer in
            if let live {
                for await event in live { try await writer.write(ByteBuffer(string: event.sseText())) }
            } else {
                var replay: [RunEvent] = []
                if !job.stdout.isEmpty { replay.append(.stdout(job.stdout)) }
                if !job.stderr.isEmpty { replay.append(.stderr(job.stderr)) }
                replay.append(.status(job))
                for event in replay { try await writer.write(ByteBuffer(string: event.sseText())) }
            }
            try await writer.finish(nil)
        })
    }

    static func filters(_ request: Request) throws -> HistoryFilter {
        let query = request.uri.queryParameters
        var filters = HistoryFilter()
        if let language = query["language"], !language.isEmpty { filters.language = String(language) }
        if let status = query["status"], !status.isEmpty {
            guard let parsed = RunStatus(rawValue: String(status)) else {
                throw APIError.validation(field: "status", "status must be one of \(RunStatus.allCases.map(\.rawValue).joined(separator: ", ")).")
            }
            filters.status = parsed
        }
        if let text = query["q"], !text.isEmpty {
            guard text.count <= 1000 else { throw APIError.validation(field: "q", "q is longer than 1000 characters.") }
            filters.query = String(text)
        }
        if let since = query["since"], !since.isEmpty {
            guard let date = RFC3339.date(String(since)) else {
                throw APIError.validation(field: "since", "since must be an RFC 3339 time such as 2026-01-31T12:00:00Z.")
            }
            filters.since = date
        }
        return filters
    }
}
