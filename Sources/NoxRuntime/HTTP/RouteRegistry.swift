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
            var seen: Set<HTTPRequest.Method> = []
            return routes.filter { route in Self.matches(route.pattern, segments) }.map(\.method).filter { seen.insert($0).inserted }
        }
    }

    /// `{name}` matches one segment; a final `{name...}` matches all the rest (at least one).
    static func matches(_ pattern: [Substring], _ segments: [Substring]) -> Bool {
        if let last = pattern.last, Self.isCatchAll(last) {
            return segments.count >= pattern.count
                && zip(pattern.dropLast(), segments).allSatisfy { pattern, segment in pattern.hasPrefix("{") || pattern == segment }
        }
        return pattern.count == segments.count
            && zip(pattern, segments).allSatisfy { pattern, segment in pattern.hasPrefix("{") || pattern == segment }
    }

    static func isCatchAll(_ segment: Substring) -> Bool { segment.hasPrefix("{") && segment.hasSuffix("...}") }
}

extension Router where Context == NoxRequestContext {
    /// Registers a route and records it for 405 answers. Path parameters are `{name}`; a last
    /// segment `{name...}` takes the rest of the path (`context.parameters.getCatchAll()`).
    @discardableResult
    public func route(
        _ method: HTTPRequest.Method,
        _ path: String,
        registry: RouteRegistry,
        use handler: @escaping @Sendable (Request, Context) async throws -> Response
    ) -> Self {
        registry.record(method, path)
        let hummingbirdPath = path.split(separator: "/").map { segment in
            if RouteRegistry.isCatchAll(segment) { return "**" }
            return segment.hasPrefix("{") && segment.hasSuffix("}") ? ":" + segment.dropFirst().dropLast() : String(segment)
        }.joined(separator: "/")
        self.on(RouterPath(hummingbirdPath), method: method, use: handler)
        return self
    }
}
