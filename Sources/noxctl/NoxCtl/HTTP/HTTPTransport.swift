import Glibc

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// One HTTP request as noxctl sends it.
public struct HTTPRequest: Sendable {
    public enum Body: Sendable {
        case none
        case data([UInt8])
        /// A local file streamed from disk (uploads of any size in constant memory).
        case file(path: String, size: Int64)
    }

    public var method: String
    public var url: String
    public var headers: [(name: String, value: String)]
    public var body: Body

    public init(method: String, url: String, headers: [(name: String, value: String)] = [], body: Body = .none) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
    }

    /// The value of header `name` (case-insensitive), if set.
    public func header(_ name: String) -> String? {
        headers.last { $0.name.lowercased() == name.lowercased() }?.value
    }
}

/// A response: the status, the headers (names lowercased), and the body unless it was streamed.
public struct HTTPResponse: Sendable {
    public var status: Int
    public var headers: [String: String]
    public var body: [UInt8]

    public init(status: Int, headers: [String: String] = [:], body: [UInt8] = []) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    public var isSuccess: Bool { (200..<300).contains(status) }
}

/// What a request does with a successful response's body and how it reports progress.
public struct TransferHandlers {
    /// Receives a 2xx response's body as it arrives instead of collecting it; returning false
    /// aborts the transfer. Error responses are always collected (to read the error message).
    public var onData: ((UnsafeRawBufferPointer) -> Bool)?
    /// Bytes (done, total) of the upload or the download, total 0 while unknown.
    public var onProgress: ((_ done: Int64, _ total: Int64) -> Void)?

    public init(onData: ((UnsafeRawBufferPointer) -> Bool)? = nil, onProgress: ((Int64, Int64) -> Void)? = nil) {
        self.onData = onData
        self.onProgress = onProgress
    }
}

/// Sends requests; `CurlTransport` for real, a fake in the unit tests.
public protocol HTTPTransport: AnyObject {
    func send(_ request: HTTPRequest, handlers: TransferHandlers) throws -> HTTPResponse
}

/// How to reach the server: TLS trust and, for host operations, a Unix socket.
public struct TransportOptions: Sendable {
    /// A PEM file of certificates to trust instead of the system's CA store.
    public var caFile: String?
    /// Skip certificate verification (`--insecure`): for a first look at a self-signed host only.
    public var insecure = false
    /// Connect to this Unix socket instead of the URL's host (the daemons' HTTP sockets).
    public var unixSocket: String?
    /// Seconds allowed for connecting.
    public var connectTimeout = 15

    public init(caFile: String? = nil, insecure: Bool = false, unixSocket: String? = nil) {
        self.caFile = caFile
        self.insecure = insecure
        self.unixSocket = unixSocket
    }
}
