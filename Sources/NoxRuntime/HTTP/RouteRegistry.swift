public import HTTPTypes
public import Hummingbird
import NIOConcurrencyHelpers

/// Remembers every route's path pattern and method, so that a path served with another method
/// answers 405 with `Allow` instead of a misleading 404 (Hummingbird's router only knows 404).
public final class RouteRegistry: Sendable {
    private let routes = NIOLockedValueBox<[(pattern: [Substring], method: HTTPRequest.Method)]>([])

    public init() {}

    public func record(_ method: HTTPRequest.Method, _ path: String) {
        let pattern = path.split(separator: "/")
        routes.withLockedValue { $0.append((pattern, method)) }
    }

    /// Methods registered for a concrete request path.
    public func methods(for path: String) -> [HTTPRequest.Method] {
        let segments = path.split(separator: "/")
        return routes.withLockedValue { routes in
            routes.filter { route in
                route.pattern.count == segments.count
                    && zip(route.pattern, segments).allSatisfy { pattern, segment in
                        pattern.hasPrefix("{") || pattern.hasPrefix(":") || pattern == segment
                    }
            }.map(\.method)
        }
    }
}

extension Router where Context == NoxRequestContext {
    /// Registers a route and records it for 405 answers.
    @discardableResult
    public func route(
        _ method: HTTPRequest.Method,
        _ path: String,
        registry: RouteRegistry,
        use handler: @escaping @Sendable (Request, Context) async throws -> Response
    ) -> Self {
        registry.record(method, path)
        let hummingbirdPath = path.split(separator: "/").map { segment in
            segment.hasPrefix("{") && segment.hasSuffix("}") ? ":" + segment.dropFirst().dropLast() : String(segment)
        }.joined(separator: "/")
        self.on(RouterPath(hummingbirdPath), method: method, use: handler)
        return self
    }
}
