import Foundation
import Glibc
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import NoxRuntime

/// `/api/backup`, `/api/backups`, `/api/restore`.
struct BackupRoutes {
    let service: FilesService
    let backups: BackupService
    let authorizer: RequestAuthorizer
    let maxJSONBody: Int

    struct RestoreRequest: Decodable { var backup_id: String }
    struct RestoreResponse: Encodable, Sendable { var restored_files: Int }

    func register(on router: Router<NoxRequestContext>, registry: RouteRegistry) {
        router.route(.post, "/api/backup", registry: registry) { request, context in
            let principal = try await authorizer.require(.filesWrite, request, context)
            let record = try await backups.create(username: principal.username)
            context.logger.info("Backup created", metadata: ["nox.backup_id": .string(record.id), "nox.size": .stringConvertible(record.size)])
            return try JSON.response(record, status: .created)
        }
        router.route(.get, "/api/backups", registry: registry) { request, context in
            let principal = try await authorizer.require(.filesRead, request, context)
            return try JSON.response(try await backups.list(username: principal.username, page: try PageRequest(from: request)))
        }
        let downloadBackup: @Sendable (Request, NoxRequestContext) async throws -> Response = { request, context in
            let principal = try await authorizer.require(.filesRead, request, context)
            let record = try await record(context, username: principal.username)
            return try download(record, request: request)
        }
        router.route(.get, "/api/backups/{id}", registry: registry, use: downloadBackup)
        router.route(.head, "/api/backups/{id}", registry: registry, use: downloadBackup)
        router.route(.delete, "/api/backups/{id}", registry: registry) { request, context in
            let principal = try await authorizer.require(.filesWrite, request, context)
            guard let id = context.parameters.get("id"), try await backups.delete(id: id, username: principal.username) else {
                throw APIError.notFound("backup")
            }
            return Response(status: .noContent)
        }
        router.route(.post, "/api/restore", registry: registry) { request, context in
            let principal = try await authorizer.require(.filesWrite, request, context)
            let quota = FilesService.quotaBytes(principal)
            let count: Int
            let mediaType = request.headers[.contentType].flatMap { HeaderParameters($0) }?.value.lowercased() ?? ""
            switch mediaType {
            case "application/json":
                let body = try await JSON.decode(RestoreRequest.self, from: request, limit: maxJSONBody)
                guard let record = try await backups.find(id: body.backup_id, username: principal.username) else {
                    throw APIError.notFound("backup")
                }
                count = try await backups.restore(username: principal.username, archive: backups.archivePath(record), quotaBytes: quota)
            case "application/gzip", "application/x-gzip", "application/x-tar", "application/octet-stream", "multipart/form-data":
                let staged = backups.stagingPath()
                defer { unlink(staged) }
                try await stage(request, multipart: mediaType == "multipart/form-data", to: staged, limit: Self.stagingLimit(quota: quota))
                count = try await backups.restore(username: principal.username, archive: staged, quotaBytes: quota)
            default:
                throw APIError(
                    .unsupportedMediaType, code: "unsupported_media_type",
                    message: "Send {\"backup_id\": …} as application/json, or the archive as application/gzip or multipart/form-data field archive."
                )
            }
            context.logger.notice("Sandbox restored", metadata: ["nox.files": .stringConvertible(count)])
            return try JSON.response(RestoreResponse(restored_files: count))
        }
    }

    /// A compressed archive larger than this cannot hold a sandbox that fits the quota in practice
    /// (tar.gz is never much larger than its content); it only bounds what a client can make us store.
    static func stagingLimit(quota: Int64) -> Int64 { quota + (16 << 20) }

    func record(_ context: NoxRequestContext, username: String) async throws -> BackupRecord {
        guard let id = context.parameters.get("id"), let record = try await backups.find(id: id, username: username) else {
            throw APIError.notFound("backup")
        }
        return record
    }

    func download(_ record: BackupRecord, request: Request) throws -> Response {
        let path = backups.archivePath(record)
        let descriptor = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)
        guard descriptor >= 0 else { throw APIError.notFound("backup") }
        var headers = HTTPFields()
        headers[.contentType] = "application/gzip"
        headers[.contentDisposition] = "attachment; filename=\"nox-backup-\(record.id).tar.gz\""
        headers[.contentLength] = String(record.size)
        headers[.eTag] = "\"\(record.sha256)\""
        if request.method == .head {
            close(descriptor)
            return Response(status: .ok, headers: headers, body: ResponseBody())
        }
        let size = record.size
        return Response(status: .ok, headers: headers, body: ResponseBody(contentLength: Int(size)) { writer in
            defer { close(descriptor) }
            try await FileDownload.stream(descriptor, range: 0..<size, to: &writer)
            try await writer.finish(nil)
        })
    }

    /// Streams an uploaded archive (raw, or the multipart field `archive`) to a staging file.
    func stage(_ request: Request, multipart: Bool, to path: String, limit: Int64) async throws {
        let sink = try StagingFile(path: path, limit: limit)
        defer { sink.close() }
        if multipart {
            let reader = try MultipartReader(request: request)
            let collector = ArchivePartCollector(sink: sink)
            try await reader.read(request.body, into: collector)
            guard collector.found else { throw APIError.validation(field: "archive", "Send the archive in a part named archive.") }
        } else {
            for try await buffer in request.body { try sink.append(buffer) }
        }
        try sink.finish()
    }
}

/// A file the daemon writes an upload to, refusing more than `limit` bytes (507).
final class StagingFile: @unchecked Sendable {
    private var descriptor: Int32
    private let limit: Int64
    private(set) var size: Int64 = 0

    init(path: String, limit: Int64) throws {
        descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0o600)
        guard descriptor >= 0 else { throw SandboxError(.io, path: "", "The upload cannot be staged.", errno: errno) }
        self.limit = limit
    }

    func append(_ buffer: ByteBuffer) throws {
        size += Int64(buffer.readableBytes)
        guard size <= limit else {
            throw APIError(.init(code: 507), code: "quota_exceeded", message: "The archive is larger than your storage quota allows.")
        }
        let error = buffer.withUnsafeReadableBytes { Sys.writeAll(descriptor, $0) }
        if error != 0 { throw SandboxError.from(errno: error, path: "", operation: "Staging the upload") }
    }

    func finish() throws {
        guard fsync(descriptor) == 0 else { throw SandboxError(.io, path: "", "The upload cannot be staged.", errno: errno) }
    }

    func close() {
        if descriptor >= 0 { Glibc.close(descriptor) }
        descriptor = -1
    }
}

/// Takes the `archive` part of a multipart restore; ignores other fields.
final class ArchivePartCollector: MultipartReader.Handler {
    let sink: StagingFile
    private(set) var found = false
    private var inArchive = false

    init(sink: StagingFile) { self.sink = sink }

    func begin(_ part: MultipartReader.Part) throws {
        inArchive = part.name == "archive"
        if inArchive {
            guard !found else { throw APIError.validation(field: "archive", "Send one archive.") }
            found = true
        }
    }

    func body(_ bytes: ByteBuffer) throws {
        if inArchive { try sink.append(bytes) }
    }

    func end() throws { inArchive = false }
}
