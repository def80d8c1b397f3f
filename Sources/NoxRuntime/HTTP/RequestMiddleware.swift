import Foundation
public import HTTPTypes
public import Hummingbird
public import Logging

/// The outermost middleware of every daemon: request id, client address, the JSON error shape
/// for every failure, and one journald line per request carrying `NOX_REQUEST_ID` and `NOX_USER`.
public struct RequestMiddleware: RouterMiddleware {
    public typealias Context = NoxRequestContext
    let registry: RouteRegistry

    public init(registry: RouteRegistry) {
        self.registry = registry
    }

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var context = context
        let requestID = Self.requestID(from: request)
        context.requestID = requestID
        context.sourceAddress = Self.sourceAddress(from: request)
        context.logger[metadataKey: "nox.request_id"] = .string(requestID)
        let started = ContinuousClock.now

        var response: Response
        do {
            response = try await next(request, context)
        } catch let error as APIError {
            response = error.response(requestID: requestID)
        } catch let error as any APIErrorConvertible {
            let apiError = error.apiError
            if apiError.statusCode >= 500 {
                context.logger.error("Request failed", metadata: ["error": "\(String(reflecting: error))"])
            }
            response = apiError.response(requestID: requestID)
        } catch let error as HTTPError where error.status == .notFound {
            let allowed = registry.methods(for: request.uri.path)
            if allowed.isEmpty {
                response = APIError(.notFound, code: "not_found", message: "No such endpoint: \(request.method) \(request.uri.path).")
                    .response(requestID: requestID)
            } else {
                let allow = allowed.map(\.rawValue).joined(separator: ", ")
                response = APIError(
                    .methodNotAllowed, code: "method_not_allowed",
                    message: "\(request.method) is not allowed here; use \(allow).", headers: ["Allow": allow]
                ).response(requestID: requestID)
            }
        } catch let error as any HTTPResponseError {
            // Errors raised by the HTTP layer itself (bad request line, body too large, ...).
            let status = error.status
            let code = status == .contentTooLarge ? "payload_too_large" : "http_\(status.code)"
            response = APIError(status, code: code, message: status.reasonPhrase).response(requestID: requestID)
        } catch {
            context.logger.error("Unexpected error while handling request", metadata: ["error": "\(String(reflecting: error))"])
            response = APIError.internalError.response(requestID: requestID)
        }
        response.headers[.requestID] = requestID
        response.headers[.cacheControl] = response.headers[.cacheControl] ?? "no-store"
        let elapsed = ContinuousClock.now - started
        RequestMetrics.record(method: request.method.rawValue, route: context.endpointPath, status: Int(response.status.code), duration: elapsed)

        var metadata: Logger.Metadata = [
            "http.method": .string(request.method.rawValue),
            "http.route": .string(context.endpointPath ?? request.uri.path),
            "http.response.status_code": .stringConvertible(response.status.code),
            "http.duration_ms": .stringConvertible(elapsed.milliseconds),
            "client.address": .string(context.sourceAddress),
        ]
        if let user = context.state.username { metadata["nox.user"] = .string(user) }
        let level: Logger.Level = response.status.code >= 500 ? .error : .info
        context.logger.log(level: level, "\(request.method) \(request.uri.path) \(response.status.code)", metadata: metadata)
        return response
    }

    /// The client's request id when it is sane (≤ 128 of `[A-Za-z0-9._:-]`), else a new one.
    static func requestID(from request: Request) -> String {
        if let given = request.headers[.requestID], !given.isEmpty, given.utf8.count <= 128,
            given.utf8.allSatisfy({ byte in
                (0x30...0x39).contains(byte) || (0x41...0x5A).contains(byte) || (0x61...0x7A).contains(byte)
                    || byte == UInt8(ascii: "-") || byte == UInt8(ascii: "_") || byte == UInt8(ascii: ".") || byte == UInt8(ascii: ":")
            })
        {
            return given
        }
        return UUID().uuidString.lowercased()
    }

    /// The address nginx saw. The HTTP socket is reachable only by the proxy (its group), and the
    /// proxy overwrites `X-Forwarded-For` with `$remote_addr`, so the header's last entry is trusted.
    static func sourceAddress(from request: Request) -> String {
        guard let header = request.headers[.forwardedFor],
            let last = header.split(separator: ",").last?.trimmingCharacters(in: .whitespaces),
            !last.isEmpty, last.count <= 64
        else { return "local" }
        return last
    }
}

extension Duration {
    var milliseconds: Int64 {
        let (seconds, attoseconds) = self.components
        return seconds * 1000 + attoseconds / 1_000_000_000_000_000
    }
}
