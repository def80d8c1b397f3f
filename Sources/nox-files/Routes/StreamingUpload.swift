import Hummingbird
import NIOCore
import NoxRuntime

/// One file arriving over HTTP: streamed into an unnamed temporary file beside its destination
/// (`SandboxDirectory.beginWrite`) while hashing, then committed atomically — or aborted, leaving
/// the old file untouched (a daemon killed mid-upload leaves nothing: `O_TMPFILE` has no name).
///
/// `@unchecked Sendable`: one request owns it and uses it from one task at a time (it crosses
/// into the thread pool only for the commit, while the request awaits).
final class StreamingUpload: @unchecked Sendable {
    let path: SandboxPath
    private let sandbox: SandboxDirectory
    private let write: SandboxWrite
    private let hash = NoxRuntime.SHA256Stream()
    /// Size of the file this replaces when the upload began (0 if new).
    let replacedSize: Int64

    init(sandbox: SandboxDirectory, path: SandboxPath) throws {
        self.sandbox = sandbox
        self.path = path
        replacedSize = Self.existingSize(sandbox, path)
        write = try sandbox.beginWrite(path)
    }

    var size: Int64 { write.bytesWritten }

    /// Writes the body as it arrives. `overLimit` is called (and should throw) once more than
    /// `limit` bytes have arrived, so an over-quota upload stops early instead of filling the disk.
    func receive(_ body: RequestBody, limit: Int64, overLimit: (Int64) throws -> Void) async throws {
        for try await buffer in body {
            try append(buffer)
            if write.bytesWritten > limit { try overLimit(write.bytesWritten) }
        }
    }

    func append(_ buffer: ByteBuffer) throws {
        try buffer.withUnsafeReadableBytes { bytes in
            hash.update(bytes)
            try write.write(bytes)
        }
        MetricName.filesBytesReceived.increment(by: Int64(buffer.readableBytes))
    }

    /// The size of what is at the destination now (a run may have changed it meanwhile).
    func currentReplacedSize() -> Int64 { Self.existingSize(sandbox, path) }

    struct Committed: Sendable {
        var size: Int64
        var sha256: String
        var created: Bool
    }

    func commit() throws -> Committed {
        let result = try write.commit()
        return Committed(size: result.size, sha256: hash.finalizeHex(), created: result.created)
    }

    func abort() { write.abort() }

    private static func existingSize(_ sandbox: SandboxDirectory, _ path: SandboxPath) -> Int64 {
        guard let entry = try? sandbox.stat(path), entry.kind == .file else { return 0 }
        return entry.size
    }
}
