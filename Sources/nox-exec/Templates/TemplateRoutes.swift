import Foundation
import Hummingbird
import NoxFiles
import NoxRuntime

/// `GET /api/templates` and `POST /api/templates/{name}/apply`.
struct TemplateRoutes {
    let catalog: TemplateCatalog
    let sandboxes: SandboxLocator
    let authorizer: RequestAuthorizer

    /// One item of the list: what the template is and which files it writes.
    struct Item: Encodable, Sendable {
        var name: String
        var description: String
        var language: String?
        var files: [String]

        enum CodingKeys: String, CodingKey { case name, description, language, files }

        /// `language` as `null` when the template has none, so every item has the same keys.
        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(name, forKey: .name)
            try container.encode(description, forKey: .description)
            try container.encode(language, forKey: .language)
            try container.encode(files, forKey: .files)
        }
    }

    struct ApplyBody: Decodable, Sendable {
        var dir: String?
        var overwrite: Bool?
    }

    struct Applied: Encodable, Sendable { var written: [String] }

    func register(on router: Router<NoxRequestContext>, registry: RouteRegistry) {
        router.route(.get, "/api/templates", registry: registry) { request, context in
            _ = try await authorizer.require(.execRun, request, context)
            let page = try PageRequest(from: request)
            let items = try await offPool { [catalog] in catalog.all() }
                .map { Item(name: $0.name, description: $0.description, language: $0.language, files: $0.files.map(\.path)) }
                .filter { page.cursor == nil || $0.name > page.cursor! }
            let shown = Array(items.prefix(page.limit))
            let next = items.count > page.limit ? shown.last.map { PageRequest.cursor(for: $0.name) } : nil
            return try JSON.response(Page(items: shown, next_cursor: next))
        }
        router.route(.post, "/api/templates/{name}/apply", registry: registry) { request, context in
            let principal = try await authorizer.require(.filesWrite, request, context)
            let body = try await JSON.decode(ApplyBody.self, from: request)
            let name = context.parameters.get("name") ?? ""
            guard let template = try await offPool({ [catalog] in catalog.find(name) }) else { throw APIError.notFound("template") }
            let directory: SandboxPath
            do {
                directory = try SandboxPath(body.dir ?? "")
            } catch let error as SandboxError {
                throw APIError(.badRequest, code: "invalid_path", message: "dir: \(error.message)", details: ["field": "dir"])
            }
            let sandbox = try await sandboxes.sandbox(of: principal.username)
            let written = try await offPool {
                try TemplateWriter(sandbox: sandbox, quotaBytes: Int64(principal.quotas.disk_mb) * 1_048_576)
                    .apply(template, into: directory, overwrite: body.overwrite ?? false)
            }
            return try JSON.response(Applied(written: written))
        }
    }
}
