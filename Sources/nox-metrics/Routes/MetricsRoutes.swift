import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import NoxRuntime

/// nox-metrics's HTTP API (API.md "Metrics and health").
struct MetricsRoutes {
    let health: HealthChecker
    let sampler: SystemSampler
    let broadcaster: SnapshotBroadcaster
    let history: HistoryStore
    let stats: StatsService
    let exporter: MetricsExporter
    let authorizer: RequestAuthorizer
    let scrapeAllow: [IPAddressRange]

    struct HistoryResponse: Encodable, Sendable {
        var range_s: Int64
        var resolution_s: Int64
        var points: [HistoryPoint]
    }

    func register(on router: Router<NoxRequestContext>, registry: RouteRegistry) {
        router.route(.get, "/api/health", registry: registry) { _, _ in
            try JSON.response(await health.check())
        }
        router.route(.get, "/api/system/metrics", registry: registry) { request, context in
            _ = try await authorizer.require(.metricsRead, request, context)
            return try JSON.response(await latest())
        }
        router.route(.get, "/api/system/metrics/history", registry: registry) { request, context in
            _ = try await authorizer.require(.metricsRead, request, context)
            let range = try HistoryRange.parse(request.uri.queryParameters["range"].map(String.init), maximumDays: history.retentionDays)
            let now = Int64(Date().timeIntervalSince1970)
            let (resolution, points) = try await Blocking.run { [history] in try history.points(range: range, now: now) }
            return try JSON.response(HistoryResponse(range_s: range, resolution_s: resolution, points: points))
        }
        router.route(.get, "/api/stats", registry: registry) { request, context in
            let principal = try await authorizer.require(.statsRead, request, context)
            let query = request.uri.queryParameters
            var since: String?
            if let text = query["since"], !text.isEmpty {
                guard let date = RFC3339.date(String(text)) else {
                    throw APIError.validation(field: "since", "since must be an RFC 3339 time such as 2026-01-31T12:00:00Z.")
                }
                since = RFC3339.string(date)
            }
            var user: String?
            if let text = query["user"], !text.isEmpty {
                guard text.wholeMatch(of: /[a-z][a-z0-9_]{0,31}/) != nil else {
                    throw APIError.validation(field: "user", "user must be a username (^[a-z][a-z0-9_]{0,31}$).")
                }
                user = String(text)
            }
            // Admins see everyone (or the user they ask for); others only themselves.
            if principal.role != "admin" {
                if let user, user != principal.username {
                    throw APIError(
                        .forbidden, code: "forbidden", message: "Only administrators may see another user's statistics.",
                        details: ["permission": Permission.adminUsers.rawValue])
                }
                user = principal.username
            }
            do {
                return try JSON.response(try await stats.report(since: since, username: user))
            } catch let error as APIError {
                throw error
            } catch {
                context.logger.error("Statistics could not be gathered", metadata: ["error": "\(error)"])
                throw APIError(
                    .serviceUnavailable, code: "service_unavailable", message: "nox-exec or nox-files is not answering; try again shortly.",
                    headers: ["Retry-After": "1"])
            }
        }
        router.route(.get, "/api/metrics/stream", registry: registry) { request, context in
            _ = try await authorizer.require(.metricsRead, request, context)
            return stream()
        }
        router.route(.get, "/metrics", registry: registry) { request, context in
            if !scrapeAllow.contains(where: { $0.contains(context.sourceAddress) }) || RequestAuthorizer.bearerToken(request) != nil {
                _ = try await authorizer.require(.metricsRead, request, context)
            }
            let text = await exporter.exposition()
            var headers = HTTPFields()
            headers[.contentType] = ExpositionRenderer.contentType
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: text)))
        }
    }

    func latest() async -> SystemSnapshot {
        if let latest = broadcaster.latest { return latest }
        return await sampler.sample()
    }

    /// SSE: a `metrics` event now and then one a second, until the client goes (the write fails
    /// and the subscription ends) or the daemon stops.
    func stream() -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "text/event-stream; charset=utf-8"
        headers[.cacheControl] = "no-store"
        headers[HTTPField.Name("X-Accel-Buffering")!] = "no"
        let updates = broadcaster.subscribe()
        let first = broadcaster.latest
        return Response(status: .ok, headers: headers, body: ResponseBody { writer in
            if let first { try await writer.write(ByteBuffer(string: Self.event(first))) }
            for await snapshot in updates {
                try await writer.write(ByteBuffer(string: Self.event(snapshot)))
            }
            try await writer.finish(nil)
        })
    }

    static func event(_ snapshot: SystemSnapshot) -> String {
        let data = (try? JSON.encoder.encode(snapshot)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
        return "event: metrics\ndata: \(data)\n\n"
    }
}
