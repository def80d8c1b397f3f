import Foundation
import Glibc

/// A minimal blocking HTTP/1.1 client over a Unix socket, for tests against a real server socket
/// (Hummingbird's own test client pulls AsyncHTTPClient and TLS into the build).
public enum UnixHTTPClient {
    public struct Response: Sendable {
        public var status: Int
        public var headers: [String: String]
        public var body: Data
        public var json: [String: Any]? { try? JSONSerialization.jsonObject(with: body) as? [String: Any] }
        public var errorCode: String? { (json?["error"] as? [String: Any])?["code"] as? String }
        public subscript(header name: String) -> String? { headers[name.lowercased()] }
    }

    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    /// Sends one request with `Connection: close` and reads the whole response, on a
    /// thread of its own: blocking the cooperative pool (two threads on two cores) would starve the server.
    /// `afterConnect` runs once connected, before the request is sent (to test what a server does in between).
    public static func request(
        socket path: String, method: String, path target: String, headers: [String: String] = [:], body: Data? = nil,
        afterConnect: (@Sendable () -> Void)? = nil
    ) async throws -> Response {
        try await withCheckedThrowingContinuation { continuation in
            // A thread of its own: Dispatch's global queue is only as wide as the core count.
            Thread {
                continuation.resume(with: Result { try blockingRequest(
                    socket: path, method: method, path: target, headers: headers, body: body, afterConnect: afterConnect) })
            }.start()
        }
    }

    public static func blockingRequest(
        socket path: String, method: String, path target: String, headers: [String: String] = [:], body: Data? = nil,
        afterConnect: (@Sendable () -> Void)? = nil
    ) throws -> Response {
        let fd = Glibc.socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw Failure(description: "socket() failed") }
        defer { close(fd) }
        var timeout = timeval(tv_sec: 10, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { buffer in
            for (index, byte) in path.utf8.prefix(buffer.count - 1).enumerated() { buffer[index] = byte }
        }
        let connected = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard connected == 0 else { throw Failure(description: "connect(\(path)) failed: errno \(errno)") }
        afterConnect?()
        var head = "\(method) \(target) HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n"
        for (name, value) in headers { head += "\(name): \(value)\r\n" }
        if let body { head += "Content-Length: \(body.count)\r\n" }
        head += "\r\n"
        var payload = Data(head.utf8)
        if let body { payload.append(body) }
        try payload.withUnsafeBytes { buffer in
            var offset = 0
            while offset < buffer.count {
                let written = send(fd, buffer.baseAddress! + offset, buffer.count - offset, Int32(MSG_NOSIGNAL))
                if written <= 0 { throw Failure(description: "send failed: errno \(errno)") }
                offset += written
            }
        }
        var received = Data()
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = recv(fd, &chunk, chunk.count, 0)
            if count <= 0 { break }
            received.append(contentsOf: chunk[0..<count])
        }
        return try parse(received)
    }

    public static func json(
        socket: String, _ method: String, _ path: String, _ object: Any? = nil, token: String? = nil, headers: [String: String] = [:]
    ) async throws -> Response {
        var headers = headers
        if let token { headers["Authorization"] = "Bearer \(token)" }
        var body: Data?
        if let object {
            headers["Content-Type"] = "application/json"
            body = try JSONSerialization.data(withJSONObject: object)
        }
        return try await request(socket: socket, method: method, path: path, headers: headers, body: body)
    }

    static func parse(_ data: Data) throws -> Response {
        guard let separator = data.range(of: Data("\r\n\r\n".utf8)) else {
            throw Failure(description: "incomplete response: \(String(decoding: data, as: UTF8.self))")
        }
        let head = String(decoding: data[..<separator.lowerBound], as: UTF8.self).components(separatedBy: "\r\n")
        let statusParts = head[0].split(separator: " ")
        guard statusParts.count >= 2, let status = Int(statusParts[1]) else { throw Failure(description: "bad status line \(head[0])") }
        var headers: [String: String] = [:]
        for line in head.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        var body = Data(data[separator.upperBound...])
        if headers["transfer-encoding"]?.lowercased() == "chunked" { body = dechunk(body) }
        return Response(status: status, headers: headers, body: body)
    }

    static func dechunk(_ data: Data) -> Data {
        var output = Data()
        var rest = data[...]
        while let lineEnd = rest.range(of: Data("\r\n".utf8)) {
            let sizeText = String(decoding: rest[..<lineEnd.lowerBound], as: UTF8.self)
            guard let size = Int(sizeText.split(separator: ";")[0], radix: 16), size > 0 else { break }
            let start = lineEnd.upperBound
            output.append(rest[start..<(start + size)])
            rest = rest[(start + size + 2)...]
        }
        return output
    }
}

/// A fresh temporary directory, removed by `remove()`.
public struct TemporaryDirectory: Sendable {
    public let path: String
    public init() throws {
        var template = Array("/tmp/nox-test-XXXXXX".utf8CString)
        guard let pointer = mkdtemp(&template) else { throw UnixHTTPClient.Failure(description: "mkdtemp failed") }
        path = String(cString: pointer)
    }
    public func remove() { try? FileManager.default.removeItem(atPath: path) }
}
