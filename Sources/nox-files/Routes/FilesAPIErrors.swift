import HTTPTypes
import NoxRuntime

extension SandboxError: APIErrorConvertible {
    /// Client mistakes name the path; an I/O failure says only that it failed (the log has the rest).
    public var apiError: APIError {
        if code == .io { return .internalError }
        var details: [String: String] = [:]
        if !path.isEmpty { details["path"] = path }
        var error = APIError(.init(code: httpStatus), code: apiCode, message: message, details: details.isEmpty ? nil : details)
        if code == .busy { error.headers["Retry-After"] = "1" }
        return error
    }
}

extension FileIndexError: APIErrorConvertible {
    public var apiError: APIError { .validation(field: field, message) }
}
