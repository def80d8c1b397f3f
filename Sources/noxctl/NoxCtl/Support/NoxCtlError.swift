import Glibc

/// Why a noxctl command failed: printed as `noxctl: MESSAGE` on stderr, and the process exits
/// with `exitCode` (1 unless a command has a more precise answer).
public struct NoxCtlError: Error, CustomStringConvertible, Sendable {
    public var message: String
    public var exitCode: Int32

    public init(_ message: String, exitCode: Int32 = 1) {
        self.message = message
        self.exitCode = exitCode
    }

    public var description: String { message }
}

/// An error answer of the Nox API: `{"error": {"code", "message", "details"?}}` and its status.
public struct APIError: Error, CustomStringConvertible, Sendable {
    public var status: Int
    public var code: String
    public var message: String
    public var details: JSONValue
    public var requestID: String?

    public init(status: Int, code: String, message: String, details: JSONValue = .null, requestID: String? = nil) {
        self.status = status
        self.code = code
        self.message = message
        self.details = details
        self.requestID = requestID
    }

    /// Reads an error response; a body that is not the API's error shape (a proxy's HTML page,
    /// an empty 502) still gives a sentence naming the status.
    public init(status: Int, body: [UInt8], requestID: String?) {
        let error = (try? JSONValue.parse(Data(body)))?["error"] ?? .null
        let fallback = status == 502 || status == 504 ? "the Nox service did not answer (HTTP \(status) from the proxy)" : "HTTP \(status)"
        self.init(
            status: status,
            code: error["code"].string ?? "http_\(status)",
            message: error["message"].string ?? fallback,
            details: error["details"],
            requestID: requestID
        )
    }

    /// The server's message, its code, and the details when they name something.
    public var description: String {
        var text = "\(message) (\(code), HTTP \(status))"
        if !details.isNull, details.object?.isEmpty != true { text += " \(details.compactText)" }
        return text
    }
}

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif
