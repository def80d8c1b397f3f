public import HTTPTypes

/// An error an API request ends with, rendered as API.md's JSON error shape:
/// `{"error": {"code": "snake_case_code", "message": "human sentence", "details": {...}}}`.
public struct APIError: Error, Sendable, Equatable {
    public var status: HTTPResponse.Status
    public var code: String
    public var message: String
    public var details: [String: String]?
    /// Extra response headers (`Retry-After`, `WWW-Authenticate`, `Allow`).
    public var headers: [String: String]

    public init(_ status: HTTPResponse.Status, code: String, message: String, details: [String: String]? = nil, headers: [String: String] = [:]) {
        self.status = status
        self.code = code
        self.message = message
        self.details = details
        self.headers = headers
    }

    /// The numeric HTTP status.
    public var statusCode: Int { Int(status.code) }

    public static func invalidJSON(_ message: String = "The request body is not valid JSON.") -> APIError {
        APIError(.badRequest, code: "invalid_json", message: message)
    }

    /// Valid JSON but a field is missing, of the wrong type or out of range.
    public static func validation(field: String, _ message: String) -> APIError {
        APIError(.unprocessableContent, code: "validation_failed", message: message, details: ["field": field])
    }

    public static func unauthorized(_ message: String = "Missing, invalid or expired credentials.") -> APIError {
        APIError(.unauthorized, code: "unauthorized", message: message, headers: ["WWW-Authenticate": "Bearer"])
    }

    public static func forbidden(_ permission: String) -> APIError {
        APIError(.forbidden, code: "forbidden", message: "This action needs the permission \(permission).", details: ["permission": permission])
    }

    public static func notFound(_ what: String = "resource") -> APIError {
        APIError(.notFound, code: "not_found", message: "No such \(what).")
    }

    public static func conflict(code: String = "conflict", _ message: String) -> APIError {
        APIError(.conflict, code: code, message: message)
    }

    public static func payloadTooLarge(limit: Int) -> APIError {
        APIError(
            .contentTooLarge, code: "payload_too_large", message: "The request body is larger than \(limit) bytes.", details: ["limit": String(limit)]
        )
    }

    public static func rateLimited(retryAfter seconds: Int, _ message: String = "Too many requests; try again later.") -> APIError {
        let seconds = max(1, seconds)
        return APIError(
            .tooManyRequests, code: "rate_limited", message: message,
            details: ["retry_after": String(seconds)], headers: ["Retry-After": String(seconds)]
        )
    }

    public static let internalError = APIError(
        .internalServerError, code: "internal_error", message: "Nox failed to handle this request; the server log has the details.")
}

/// A domain error that knows its API form (a sandbox path refused, a backup archive refused…), so
/// daemons throw their own error types and `RequestMiddleware` renders them.
public protocol APIErrorConvertible: Error {
    var apiError: APIError { get }
}
