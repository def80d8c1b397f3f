import CCurl
import Glibc

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// HTTP over the system's libcurl (see Package.swift for why libcurl). Blocking: noxctl does one
/// thing at a time, and a blocking call keeps the streaming callbacks simple.
public final class CurlTransport: HTTPTransport {
    private let options: TransportOptions

    /// curl_global_init is not thread-safe and must run once, before any handle exists.
    private static let globalInit: Void = { _ = curl_global_init(Int(CURL_GLOBAL_ALL)) }()

    public init(options: TransportOptions) {
        _ = Self.globalInit
        self.options = options
    }

    public func send(_ request: HTTPRequest, handlers: TransferHandlers) throws -> HTTPResponse {
        guard let curl = curl_easy_init() else { throw NoxCtlError("libcurl could not start a transfer") }
        defer { curl_easy_cleanup(curl) }
        let transfer = CurlTransferState(handlers: handlers)
        var errorBuffer = [CChar](repeating: 0, count: Int(CURL_ERROR_SIZE) + 1)
        var headerList: UnsafeMutablePointer<curl_slist>?
        defer { curl_slist_free_all(headerList) }
        var uploadFD: Int32 = -1
        defer { if uploadFD >= 0 { close(uploadFD) } }

        // The request body.
        var bodyBytes: [UInt8] = []
        switch request.body {
        case .none:
            break
        case .data(let bytes):
            bodyBytes = bytes
        case .file(let path, let size):
            uploadFD = open(path, O_RDONLY | O_CLOEXEC)
            guard uploadFD >= 0 else { throw NoxCtlError("cannot read \(path): \(String(cString: strerror(errno)))") }
            transfer.uploadFD = uploadFD
            _ = nox_curl_setopt_long(curl, CURLOPT_UPLOAD, 1)
            _ = nox_curl_setopt_off(curl, CURLOPT_INFILESIZE_LARGE, curl_off_t(size))
            _ = nox_curl_setopt_read_function(curl, curlRead)
        }

        let unmanaged = Unmanaged.passRetained(transfer)
        defer { unmanaged.release() }
        let context = unmanaged.toOpaque()
        var headers = request.headers
        // No "Expect: 100-continue" round trip before uploads (nginx answers at once anyway).
        headers.append((name: "Expect", value: ""))
        for header in headers {
            headerList = curl_slist_append(headerList, "\(header.name): \(header.value)")
        }

        let code: CURLcode = errorBuffer.withUnsafeMutableBufferPointer { errorPointer in
            bodyBytes.withUnsafeBufferPointer { bodyPointer in
                _ = nox_curl_setopt_string(curl, CURLOPT_URL, request.url)
                _ = nox_curl_setopt_pointer(curl, CURLOPT_ERRORBUFFER, errorPointer.baseAddress)
                _ = nox_curl_setopt_long(curl, CURLOPT_NOSIGNAL, 1)
                _ = nox_curl_setopt_long(curl, CURLOPT_CONNECTTIMEOUT, options.connectTimeout)
                _ = nox_curl_setopt_string(curl, CURLOPT_USERAGENT, "noxctl")
                _ = nox_curl_setopt_string(curl, CURLOPT_ACCEPT_ENCODING, "")
                // Only http(s): a redirect or a URL must never make noxctl read a local file.
                _ = nox_curl_setopt_string(curl, CURLOPT_PROTOCOLS_STR, "http,https")
                // Send paths as given: curl would resolve `a/../b` to `b` itself, acting on another
                // file than the one named; the server refuses such paths (400 invalid_path).
                _ = nox_curl_setopt_long(curl, CURLOPT_PATH_AS_IS, 1)
                if let caFile = options.caFile { _ = nox_curl_setopt_string(curl, CURLOPT_CAINFO, caFile) }
                if options.insecure {
                    _ = nox_curl_setopt_long(curl, CURLOPT_SSL_VERIFYPEER, 0)
                    _ = nox_curl_setopt_long(curl, CURLOPT_SSL_VERIFYHOST, 0)
                }
                if let socket = options.unixSocket { _ = nox_curl_setopt_string(curl, CURLOPT_UNIX_SOCKET_PATH, socket) }
                switch request.method {
                case "GET": _ = nox_curl_setopt_long(curl, CURLOPT_HTTPGET, 1)
                case "HEAD": _ = nox_curl_setopt_long(curl, CURLOPT_NOBODY, 1)
                default: _ = nox_curl_setopt_string(curl, CURLOPT_CUSTOMREQUEST, request.method)
                }
                if case .data = request.body {
                    _ = nox_curl_setopt_pointer(
                        curl, CURLOPT_POSTFIELDS, UnsafeMutableRawPointer(mutating: bodyPointer.baseAddress ?? UnsafePointer(bitPattern: 1)))
                    _ = nox_curl_setopt_off(curl, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(bodyPointer.count))
                }
                _ = nox_curl_setopt_pointer(curl, CURLOPT_HTTPHEADER, headerList)
                _ = nox_curl_setopt_write_function(curl, CURLOPT_WRITEFUNCTION, curlWrite)
                _ = nox_curl_setopt_pointer(curl, CURLOPT_WRITEDATA, context)
                _ = nox_curl_setopt_write_function(curl, CURLOPT_HEADERFUNCTION, curlHeader)
                _ = nox_curl_setopt_pointer(curl, CURLOPT_HEADERDATA, context)
                _ = nox_curl_setopt_pointer(curl, CURLOPT_READDATA, context)
                if handlers.onProgress != nil {
                    _ = nox_curl_setopt_long(curl, CURLOPT_NOPROGRESS, 0)
                    _ = nox_curl_setopt_xferinfo_function(curl, curlProgress)
                    _ = nox_curl_setopt_pointer(curl, CURLOPT_XFERINFODATA, context)
                }
                transfer.curl = curl
                return curl_easy_perform(curl)
            }
        }
        if code != CURLE_OK {
            if transfer.aborted { throw NoxCtlError("transfer stopped") }
            let message = errorBuffer.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
            let detail = message.isEmpty ? String(cString: curl_easy_strerror(code)) : message
            throw NoxCtlError("cannot reach \(request.url): \(detail)")
        }
        var status = 0
        _ = nox_curl_getinfo_long(curl, CURLINFO_RESPONSE_CODE, &status)
        return HTTPResponse(status: status, headers: transfer.headers, body: transfer.body)
    }
}

/// What the C callbacks see of one transfer (passed to libcurl as an unmanaged pointer).
final class CurlTransferState {
    let handlers: TransferHandlers
    var curl: UnsafeMutableRawPointer?
    var headers: [String: String] = [:]
    var body: [UInt8] = []
    var uploadFD: Int32 = -1
    var aborted = false

    init(handlers: TransferHandlers) {
        self.handlers = handlers
    }

    /// The status of the response being received (known once its headers are in).
    var currentStatus: Int {
        var status = 0
        if let curl { _ = nox_curl_getinfo_long(curl, CURLINFO_RESPONSE_CODE, &status) }
        return status
    }

    func receiveHeader(_ line: String) {
        // A new status line (after 100 Continue or a redirect) starts a new header block.
        if line.hasPrefix("HTTP/") {
            headers = [:]
            return
        }
        guard let colon = line.firstIndex(of: ":") else { return }
        let name = line[..<colon].trimmed.lowercased()
        let value = line[line.index(after: colon)...].trimmed
        headers[name] = value
    }

    func receiveBody(_ bytes: UnsafeRawBufferPointer) -> Bool {
        if let onData = handlers.onData, (200..<300).contains(currentStatus) {
            if !onData(bytes) {
                aborted = true
                return false
            }
            return true
        }
        body.append(contentsOf: bytes)
        return true
    }
}

private func curlWrite(_ pointer: UnsafeMutablePointer<CChar>?, _ size: Int, _ count: Int, _ context: UnsafeMutableRawPointer?) -> Int {
    guard let pointer, let context else { return 0 }
    let state = Unmanaged<CurlTransferState>.fromOpaque(context).takeUnretainedValue()
    let length = size * count
    return state.receiveBody(UnsafeRawBufferPointer(start: pointer, count: length)) ? length : 0
}

private func curlHeader(_ pointer: UnsafeMutablePointer<CChar>?, _ size: Int, _ count: Int, _ context: UnsafeMutableRawPointer?) -> Int {
    guard let pointer, let context else { return 0 }
    let state = Unmanaged<CurlTransferState>.fromOpaque(context).takeUnretainedValue()
    let length = size * count
    let bytes = UnsafeRawBufferPointer(start: pointer, count: length)
    state.receiveHeader(String(decoding: bytes, as: UTF8.self))
    return length
}

private func curlRead(_ pointer: UnsafeMutablePointer<CChar>?, _ size: Int, _ count: Int, _ context: UnsafeMutableRawPointer?) -> Int {
    guard let pointer, let context else { return Int(CURL_READFUNC_ABORT) }
    let state = Unmanaged<CurlTransferState>.fromOpaque(context).takeUnretainedValue()
    while true {
        let got = read(state.uploadFD, pointer, size * count)
        if got >= 0 { return got }
        if errno != EINTR { return Int(CURL_READFUNC_ABORT) }
    }
}

private func curlProgress(
    _ context: UnsafeMutableRawPointer?, _ downloadTotal: curl_off_t, _ downloaded: curl_off_t, _ uploadTotal: curl_off_t, _ uploaded: curl_off_t
) -> Int32 {
    guard let context else { return 0 }
    let state = Unmanaged<CurlTransferState>.fromOpaque(context).takeUnretainedValue()
    // An upload reports the upload (not the small answer that follows it); a download the download.
    if uploadTotal > 0 {
        state.handlers.onProgress?(Int64(uploaded), Int64(uploadTotal))
    } else {
        state.handlers.onProgress?(Int64(downloaded), Int64(downloadTotal))
    }
    return 0
}
