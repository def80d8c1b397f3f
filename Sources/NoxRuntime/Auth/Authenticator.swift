import Foundation
import HTTPTypes
public import Hummingbird

/// Turns a bearer credential (an access token or an API key) into a principal.
public protocol Authenticator: Sendable {
    /// Throws `APIError.unauthorized` for anything not valid right now.
    func authenticate(bearer: String) async throws -> Principal
}

/// What every protected endpoint does first: authenticate, check the permission, apply the
/// user's `requests_per_minute`, and note the user for the request's log line.
public struct RequestAuthorizer: Sendable {
    let authenticator: any Authenticator
    let limiter: RateLimiter

    public init(authenticator: any Authenticator, limiter: RateLimiter = RateLimiter()) {
        self.authenticator = authenticator
        self.limiter = limiter
    }

    /// - Parameters:
    ///   - permission: the permission the endpoint needs, or nil for any authenticated user.
    public func require(_ permission: Permission?, _ request: Request, _ context: NoxRequestContext) async throws -> Principal {
        guard let bearer = Self.bearerToken(request) else {
            throw APIError.unauthorized("This endpoint needs an Authorization: Bearer token.")
        }
        let principal = try await authenticator.authenticate(bearer: bearer)
        context.state.username = principal.username
        if let permission, !principal.has(permission) {
            throw APIError.forbidden(permission.rawValue)
        }
        if let wait = limiter.acquire(principal.username, perMinute: principal.quotas.requests_per_minute) {
            throw APIError.rateLimited(retryAfter: wait, "You have used your \(principal.quotas.requests_per_minute) requests per minute.")
        }
        return principal
    }

    /// The token of an `Authorization: Bearer …` header (scheme case-insensitive).
    public static func bearerToken(_ request: Request) -> String? {
        guard let header = request.headers[.authorization] else { return nil }
        let parts = header.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: true)
        guard parts.count == 2, parts[0].lowercased() == "bearer" else { return nil }
        let token = parts[1].trimmingCharacters(in: .whitespaces)
        return token.isEmpty ? nil : token
    }
}
