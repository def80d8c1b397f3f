import Foundation
import Hummingbird
import NoxRuntime

/// Turning what the client sent into sandbox paths.
enum RequestPaths {
    /// The file path of `/api/files/{path...}`: the raw request path after the prefix, percent-
    /// decoded exactly once (so `%2e%2e` stays visible to `SandboxPath`, which refuses it).
    static func filePath(of request: Request, prefix: String = "/api/files") throws -> SandboxPath {
        var raw = Substring(request.uri.path)
        guard raw.hasPrefix(prefix) else { throw SandboxError.invalidPath(String(raw), "not a file path") }
        raw = raw.dropFirst(prefix.count)
        if raw.first == "/" { raw = raw.dropFirst() }
        guard let decoded = String(raw).removingPercentEncoding else {
            throw SandboxError.invalidPath(String(raw), "the path has a malformed percent-escape")
        }
        return try SandboxPath(decoded)
    }

    /// A path given in a query parameter or JSON field (already decoded by that layer).
    static func path(_ text: String?, field: String) throws -> SandboxPath {
        guard let text else { return .root }
        return try SandboxPath(text)
    }

    /// `?name=true|false|1|0`, absent = `defaultValue`.
    static func flag(_ request: Request, _ name: String, default defaultValue: Bool = false) throws -> Bool {
        guard let text = request.uri.queryParameters[name[...]] else { return defaultValue }
        switch text.lowercased() {
        case "true", "1", "yes": return true
        case "false", "0", "no", "": return false
        default: throw APIError.validation(field: name, "\(name) must be true or false.")
        }
    }
}
