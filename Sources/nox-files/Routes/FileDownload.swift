import Foundation
import Glibc
import HTTPTypes
import Hummingbird
import NIOCore
import NoxRuntime

/// `GET`/`HEAD /api/files/{path}`: the bytes of one file, streamed from an open descriptor, with
/// `ETag`/`If-None-Match` and a single `Range`.
enum FileDownload {
    /// Bytes read and sent per step: large enough for throughput, small enough that memory stays flat.
    static let chunkSize = 256 * 1024

    static func response(for request: Request, file path: SandboxPath, in sandbox: SandboxDirectory) throws -> Response {
        // Opened once: the descriptor's stat is the file we send, even if it is replaced meanwhile.
        let file = try sandbox.openFile(path)
        var handed = false
        defer { if !handed { file.close() } }
        let entry = file.entry
        let etag = Self.etag(entry)
        var headers = HTTPFields()
        headers[.eTag] = etag
        headers[.lastModified] = HTTPDate.format(entry.modified)
        headers[.acceptRanges] = "bytes"
        headers[.contentType] = ContentTypes.forName(entry.name)
        // Never rendered as a page of our origin, whatever a user uploads (an .html, an .svg).
        // (`X-Content-Type-Options: nosniff` comes from the proxy, on every response.)
        headers[.contentSecurityPolicy] = "sandbox"
        headers[.cacheControl] = "private, no-cache"

        if let match = request.headers[.ifNoneMatch], Self.matches(match, etag: etag) {
            return Response(status: .notModified, headers: headers)
        }
        var status = HTTPResponse.Status.ok
        var range: Range<Int64> = 0..<entry.size
        switch ByteRange.parse(request.headers[.range], size: entry.size) {
        case .whole: break
        case .partial(let partial):
            status = .partialContent
            range = partial
            headers[.contentRange] = "bytes \(partial.lowerBound)-\(partial.upperBound - 1)/\(entry.size)"
        case .unsatisfiable:
            var error = APIError(
                .rangeNotSatisfiable, code: "range_not_satisfiable", message: "The requested range is outside the file's \(entry.size) bytes."
            )
            error.headers["Content-Range"] = "bytes */\(entry.size)"
            throw error
        }
        headers[.contentLength] = String(range.count)
        if request.method == .head {
            return Response(status: status, headers: headers, body: ResponseBody())
        }
        handed = true
        let descriptor = file.takeDescriptor()
        let sent = range
        return Response(status: status, headers: headers, body: ResponseBody(contentLength: Int(sent.count)) { writer in
            defer { close(descriptor) }
            try await stream(descriptor, range: sent, to: &writer)
            try await writer.finish(nil)
        })
    }

    static func stream(_ descriptor: Int32, range: Range<Int64>, to writer: inout any ResponseBodyWriter) async throws {
        var offset = range.lowerBound
        let allocator = ByteBufferAllocator()
        while offset < range.upperBound {
            let wanted = Int(min(Int64(chunkSize), range.upperBound - offset))
            var buffer = allocator.buffer(capacity: wanted)
            let count = try buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: wanted) { pointer in
                let result = pread(descriptor, pointer.baseAddress, wanted, off_t(offset))
                if result < 0 { throw SandboxError(.io, path: "", "Reading the file failed.", errno: errno) }
                return result
            }
            // The file shrank under us: stop; the client sees a short body and knows.
            if count == 0 { throw SandboxError(.io, path: "", "The file changed while it was being sent.") }
            offset += Int64(count)
            try await writer.write(buffer)
            MetricName.filesBytesSent.increment(by: Int64(count))
        }
    }

    /// Strong validator from identity and content clock: inode, size and mtime in nanoseconds.
    static func etag(_ entry: SandboxEntry) -> String {
        "\"\(String(entry.inode, radix: 16))-\(String(entry.size, radix: 16))-\(String(entry.modifiedNanoseconds, radix: 16))\""
    }

    /// `If-None-Match: *`, one tag, or a list (weak tags compare equal per RFC 9110 §13.1.2).
    static func matches(_ header: String, etag: String) -> Bool {
        if header.trimmingCharacters(in: .whitespaces) == "*" { return true }
        return header.split(separator: ",").contains { candidate in
            var tag = candidate.trimmingCharacters(in: .whitespaces)
            if tag.hasPrefix("W/") { tag.removeFirst(2) }
            return tag == etag
        }
    }
}
