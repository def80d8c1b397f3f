import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import NoxRuntime

/// `/api/files`: list, download, upload (raw), delete, move and search in the caller's sandbox.
struct FileRoutes {
    let service: FilesService
    let authorizer: RequestAuthorizer
    let maxJSONBody: Int

    struct MoveRequest: Decodable {
        var from: String
        var to: String
        var overwrite: Bool?
    }

    struct SearchRequest: Decodable {
        var query: String
        var path: String?
        var limit: Int?
    }

    struct SearchResponse: Encodable, Sendable { var items: [SearchHit] }

    func register(on router: Router<NoxRequestContext>, registry: RouteRegistry) {
        router.route(.get, "/api/files", registry: registry) { request, context in
            let principal = try await authorizer.require(.filesRead, request, context)
            return try await list(request, username: principal.username)
        }
        router.route(.delete, "/api/files", registry: registry) { request, context in
            _ = try await authorizer.require(.filesWrite, request, context)
            throw SandboxError.invalidPath("", "the sandbox root cannot be deleted")
        }
        router.route(.get, "/api/files/{path...}", registry: registry, use: download)
        router.route(.head, "/api/files/{path...}", registry: registry, use: download)
        router.route(.put, "/api/files/{path...}", registry: registry, use: upload)
        router.route(.delete, "/api/files/{path...}", registry: registry, use: delete)
        // Hummingbird's router prefers the literal segments of `/api/files/move` and `/search` to
        // the catch-all, so files named `move` and `search` are routed to the file handlers there too.
        for alias in ["/api/files/move", "/api/files/search"] {
            router.route(.get, alias, registry: registry, use: download)
            router.route(.head, alias, registry: registry, use: download)
            router.route(.put, alias, registry: registry, use: upload)
            router.route(.delete, alias, registry: registry, use: delete)
        }
        router.route(.post, "/api/files/move", registry: registry) { request, context in
            let principal = try await authorizer.require(.filesWrite, request, context)
            let body = try await JSON.decode(MoveRequest.self, from: request, limit: maxJSONBody)
            let source = try fieldPath(body.from, field: "from")
            let destination = try fieldPath(body.to, field: "to")
            guard source != destination else {
                throw SandboxError(.invalidMove, path: destination.string, "The source and the destination are the same path.")
            }
            let sandbox = try service.sandbox(for: principal.username)
            let entry = try await service.blocking {
                try sandbox.move(source, to: destination, replace: body.overwrite ?? false, createParents: true)
                return try sandbox.stat(destination)
            }
            guard let response = FileEntryResponse(entry) else { throw APIError.internalError }
            return try JSON.response(response)
        }
        router.route(.post, "/api/files/search", registry: registry) { request, context in
            let principal = try await authorizer.require(.filesRead, request, context)
            let body = try await JSON.decode(SearchRequest.self, from: request, limit: maxJSONBody)
            let under = try fieldPath(body.path ?? "", field: "path")
            let limit = body.limit ?? 50
            guard (1...FileIndex.maximumLimit).contains(limit) else {
                throw APIError.validation(field: "limit", "limit must be from 1 to \(FileIndex.maximumLimit).")
            }
            let sandbox = try service.sandbox(for: principal.username)
            let index = try service.index(for: principal.username)
            // Rescan first: runs change files behind the daemon's back (see FileIndex).
            let hits = try await service.blocking {
                if !under.isRoot { try requireDirectory(under, in: sandbox) }
                _ = try index.sync(with: sandbox, under: under)
                return try index.search(query: body.query, under: under, limit: limit)
            }
            return try JSON.response(SearchResponse(items: hits))
        }
    }

    @Sendable func download(_ request: Request, _ context: NoxRequestContext) async throws -> Response {
        let principal = try await authorizer.require(.filesRead, request, context)
        let path = try RequestPaths.filePath(of: request)
        let sandbox = try service.sandbox(for: principal.username)
        return try FileDownload.response(for: request, file: path, in: sandbox)
    }

    @Sendable func upload(_ request: Request, _ context: NoxRequestContext) async throws -> Response {
        let principal = try await authorizer.require(.filesWrite, request, context)
        let path = try RequestPaths.filePath(of: request)
        return try await put(request, path: path, principal: principal)
    }

    @Sendable func delete(_ request: Request, _ context: NoxRequestContext) async throws -> Response {
        let principal = try await authorizer.require(.filesWrite, request, context)
        let path = try RequestPaths.filePath(of: request)
        guard !path.isRoot else { throw SandboxError.invalidPath("", "the sandbox root cannot be deleted") }
        let recursive = try RequestPaths.flag(request, "recursive")
        let sandbox = try service.sandbox(for: principal.username)
        _ = try await service.blocking { try sandbox.remove(path, recursive: recursive) }
        return Response(status: .noContent)
    }

    /// A path from a JSON field; a bad one is `invalid_path` like any other (API.md), with the field named.
    func fieldPath(_ text: String, field: String) throws -> SandboxPath {
        do {
            return try SandboxPath(text)
        } catch {
            throw APIError(.badRequest, code: "invalid_path", message: "\(field): \(error.message)", details: ["field": field])
        }
    }

    /// A directory to list or search in: a link there is refused like any link, a file is 409.
    func requireDirectory(_ path: SandboxPath, in sandbox: SandboxDirectory) throws {
        switch try sandbox.stat(path).kind {
        case .directory: return
        case .symlink: throw SandboxError(.symlinkRefused, path: path.string, "The path is a symbolic link, which is never followed.")
        case .file, .other: throw SandboxError(.notADirectory, path: path.string, "The path is a file, not a directory.")
        }
    }

    func list(_ request: Request, username: String) async throws -> Response {
        let page = try PageRequest(from: request)
        let directory = try fieldPath(request.uri.queryParameters["path"].map(String.init) ?? "", field: "path")
        let recursive = try RequestPaths.flag(request, "recursive")
        let sandbox = try service.sandbox(for: username)
        let entries = try await service.blocking { () throws -> [SandboxEntry] in
            try requireDirectory(directory, in: sandbox)
            return try sandbox.list(directory, recursive: recursive)
        }
        // Byte order of the canonical path: stable across calls, so a cursor (the last path) resumes exactly.
        let visible = entries.compactMap(FileEntryResponse.init).sorted { Array($0.path.utf8).lexicographicallyPrecedes($1.path.utf8) }
        let after = page.cursor
        let remaining = after.map { cursor in visible.filter { !Array($0.path.utf8).lexicographicallyPrecedes(cursor.utf8) && $0.path != cursor } }
            ?? visible
        let items = Array(remaining.prefix(page.limit))
        let next = remaining.count > page.limit ? items.last.map { PageRequest.cursor(for: $0.path) } : nil
        return try JSON.response(Page(items: items, next_cursor: next))
    }

    func put(_ request: Request, path: SandboxPath, principal: Principal) async throws -> Response {
        guard !path.isRoot else { throw SandboxError(.isADirectory, path: "", "The sandbox root is a directory.") }
        let quota = FilesService.quotaBytes(principal)
        let sandbox = try service.sandbox(for: principal.username)
        let start = try await service.blocking { try sandbox.usage() }
        let upload = try StreamingUpload(sandbox: sandbox, path: path)
        do {
            // A declared size that cannot fit is refused before a byte of the body is read.
            if let declared = request.headers[.contentLength].flatMap({ Int64($0) }) {
                try FilesService.checkQuota(usage: start, adding: declared, freeing: upload.replacedSize, quota: quota)
            }
            try await upload.receive(request.body, limit: max(0, quota - start.bytes) + upload.replacedSize) {
                try FilesService.checkQuota(usage: start, adding: $0, freeing: upload.replacedSize, quota: quota)
            }
            let result = try await service.userLocks.withLock(principal.username) {
                try await service.blocking { [upload] in
                    try FilesService.checkQuota(usage: try sandbox.usage(), adding: upload.size, freeing: upload.currentReplacedSize(), quota: quota)
                    return try upload.commit()
                }
            }
            let body = WrittenFileResponse(path: path.string, size: result.size, sha256: result.sha256)
            return try JSON.response(body, status: result.created ? .created : .ok)
        } catch {
            upload.abort()
            throw error
        }
    }
}
