import Foundation
import Hummingbird
import NIOCore
import NoxRuntime

/// `POST /api/files`: several files in one `multipart/form-data` body (the dashboard's drag and drop).
///
/// All or nothing: every file streams into its own unnamed temporary file, and only when the
/// whole body has arrived and the total fits the quota are they committed, one rename each.
struct UploadRoutes {
    let service: FilesService
    let authorizer: RequestAuthorizer

    struct UploadResponse: Encodable, Sendable { var items: [WrittenFileResponse] }

    func register(on router: Router<NoxRequestContext>, registry: RouteRegistry) {
        router.route(.post, "/api/files", registry: registry) { request, context in
            let principal = try await authorizer.require(.filesWrite, request, context)
            let reader = try MultipartReader(request: request)
            let sandbox = try service.sandbox(for: principal.username)
            let quota = FilesService.quotaBytes(principal)
            let start = try await service.blocking { try sandbox.usage() }
            let collector = UploadCollector(
                sandbox: sandbox, maxFiles: service.configuration.maxFilesPerUpload, usage: start, quota: quota)
            do {
                try await reader.read(request.body, into: collector)
                guard !collector.uploads.isEmpty else {
                    throw APIError.validation(field: "files", "Send at least one file in a part named files.")
                }
                let uploads = collector.uploads
                let written = try await service.userLocks.withLock(principal.username) {
                    try await service.blocking {
                        let adding = uploads.reduce(0) { $0 + $1.size }
                        let freeing = uploads.reduce(0) { $0 + $1.currentReplacedSize() }
                        try FilesService.checkQuota(usage: try sandbox.usage(), adding: adding, freeing: freeing, quota: quota)
                        return try uploads.map { upload in
                            let committed = try upload.commit()
                            return WrittenFileResponse(path: upload.path.string, size: committed.size, sha256: committed.sha256)
                        }
                    }
                }
                return try JSON.response(UploadResponse(items: written), status: .created)
            } catch {
                collector.abortAll()
                throw error
            }
        }
    }
}

/// Receives the parts of one upload: the optional `dir` field first, then `files` parts.
final class UploadCollector: MultipartReader.Handler, @unchecked Sendable {
    let sandbox: SandboxDirectory
    let maxFiles: Int
    let usage: SandboxUsage
    let quota: Int64
    private(set) var uploads: [StreamingUpload] = []
    private var directory = SandboxPath.root
    private var current: Current = .none
    private var bytesReceived: Int64 = 0
    private var bytesReplaced: Int64 = 0

    private enum Current {
        case none
        case directoryField(Data)
        case file(StreamingUpload)
        case ignored
    }

    /// The longest `dir` value read; longer than a valid path (4096 bytes) so that an over-long
    /// one is refused by the path rules (`invalid_path`) like anywhere else.
    static let maxFieldBytes = 16 * 1024

    init(sandbox: SandboxDirectory, maxFiles: Int, usage: SandboxUsage, quota: Int64) {
        self.sandbox = sandbox
        self.maxFiles = maxFiles
        self.usage = usage
        self.quota = quota
    }

    func begin(_ part: MultipartReader.Part) throws {
        switch part.name {
        case "dir":
            guard uploads.isEmpty else {
                throw APIError.validation(field: "dir", "The dir field must come before the files.")
            }
            current = .directoryField(Data())
        case "files":
            guard let filename = part.filename else {
                throw APIError.validation(field: "files", "Each files part needs a filename.")
            }
            guard uploads.count < maxFiles else {
                throw APIError.validation(field: "files", "At most \(maxFiles) files per upload.")
            }
            let upload = try StreamingUpload(sandbox: sandbox, path: try directory.appending(Self.lastComponent(filename)))
            bytesReplaced += upload.replacedSize
            uploads.append(upload)
            current = .file(upload)
        default:
            current = .ignored
        }
    }

    func body(_ bytes: ByteBuffer) throws {
        switch current {
        case .directoryField(var data):
            data.append(contentsOf: bytes.readableBytesView)
            guard data.count <= Self.maxFieldBytes else { throw APIError.validation(field: "dir", "dir is too long.") }
            current = .directoryField(data)
        case .file(let upload):
            try upload.append(bytes)
            bytesReceived += Int64(bytes.readableBytes)
            // Stop as soon as the upload cannot fit, rather than after writing all of it.
            if bytesReceived > max(0, quota - usage.bytes) + bytesReplaced {
                try FilesService.checkQuota(usage: usage, adding: bytesReceived, freeing: bytesReplaced, quota: quota)
            }
        case .none, .ignored:
            break
        }
    }

    func end() throws {
        if case .directoryField(let data) = current {
            guard let text = String(data: data, encoding: .utf8) else {
                throw APIError.validation(field: "dir", "dir must be UTF-8 text.")
            }
            do {
                directory = try SandboxPath(text)
            } catch {
                throw APIError(.badRequest, code: "invalid_path", message: "dir: \(error.message)", details: ["field": "dir"])
            }
        }
        current = .none
    }

    func abortAll() {
        for upload in uploads { upload.abort() }
    }

    /// API.md: "each part's filename is reduced to its last component" (browsers on Windows send `C:\dir\name`).
    static func lastComponent(_ filename: String) -> String {
        let last = filename.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "/" || $0 == "\\" }).last.map(String.init) ?? ""
        return last
    }
}
