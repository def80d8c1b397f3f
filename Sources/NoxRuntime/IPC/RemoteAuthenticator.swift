import Foundation
import HTTPTypes
public import Logging
import NIOConcurrencyHelpers
public import NoxIPC

/// Authenticates requests in the daemons other than nox-auth.
///
/// Access tokens are verified locally with nox-auth's public keys (fetched over Varlink, and
/// again when a token names an unknown `kid`); the user's role and disabled flag come from
/// `io.nox.Auth.GetUser`, cached for `userCacheTTL` seconds (≤ 10 s, so a disabled user is
/// refused everywhere within that). API keys are checked with nox-auth on every use, so a
/// deleted key fails at once.
public final class RemoteAuthenticator: Authenticator {
    struct CachedUser {
        var principal: Principal
        var fetched: ContinuousClock.Instant
    }
    struct State {
        var keys: [String: Ed25519.PublicKey] = [:]
        var keysFetched: ContinuousClock.Instant?
        var users: [String: CachedUser] = [:]
    }

    let client: VarlinkClient
    let userCacheTTL: Duration
    let logger: Logger
    private let state = NIOLockedValueBox(State())

    public init(client: VarlinkClient, userCacheTTL: Duration = .seconds(5), logger: Logger) {
        self.client = client
        self.userCacheTTL = userCacheTTL
        self.logger = logger
    }

    struct PrincipalReply: Decodable { var principal: Principal }
    struct KeysReply: Decodable { var keys: [JSONWebKey] }

    public func authenticate(bearer: String) async throws -> Principal {
        if bearer.hasPrefix("nox_") {
            do {
                let reply: PrincipalReply = try await client.call(
                    "io.nox.Auth.Authenticate", parameters: ["token": bearer], returning: PrincipalReply.self)
                return reply.principal
            } catch let error as VarlinkError where error.name == "io.nox.Auth.InvalidToken" {
                throw APIError.unauthorized()
            } catch let error as VarlinkError {
                throw unavailable(error)
            } catch let error as NoxIPCError {
                throw unavailable(error)
            }
        }
        let claims: JWT.Claims
        do {
            claims = try JWT.verify(bearer, keys: try await publicKeys(refresh: false), now: Int(Date().timeIntervalSince1970))
        } catch JWT.VerificationError.unknownKey {
            // The key may have been rotated since we fetched the set.
            do {
                claims = try JWT.verify(bearer, keys: try await publicKeys(refresh: true), now: Int(Date().timeIntervalSince1970))
            } catch {
                throw APIError.unauthorized()
            }
        } catch JWT.VerificationError.expired {
            throw APIError.unauthorized("The access token has expired; refresh it.")
        } catch let error as APIError {
            throw error
        } catch {
            throw APIError.unauthorized()
        }
        let principal = try await user(claims.sub)
        guard !principal.disabled else { throw APIError.unauthorized() }
        return principal
    }

    func publicKeys(refresh: Bool) async throws -> [String: Ed25519.PublicKey] {
        let (cached, fetched) = state.withLockedValue { ($0.keys, $0.keysFetched) }
        if !cached.isEmpty, !refresh || (fetched.map { ContinuousClock.now - $0 < .seconds(30) } ?? false) {
            return cached
        }
        do {
            let reply: KeysReply = try await client.call("io.nox.Auth.GetPublicKeys", parameters: VarlinkEmpty(), returning: KeysReply.self)
            var keys: [String: Ed25519.PublicKey] = [:]
            for jwk in reply.keys { if let key = jwk.publicKey { keys[jwk.kid] = key } }
            state.withLockedValue { state in
                state.keys = keys
                state.keysFetched = .now
            }
            return keys
        } catch {
            throw unavailable(error)
        }
    }

    func user(_ username: String) async throws -> Principal {
        if let cached = state.withLockedValue({ $0.users[username] }), ContinuousClock.now - cached.fetched < userCacheTTL {
            return cached.principal
        }
        do {
            let reply: PrincipalReply = try await client.call(
                "io.nox.Auth.GetUser", parameters: ["username": username], returning: PrincipalReply.self)
            state.withLockedValue { state in
                if state.users.count > 10_000 { state.users.removeAll() }
                state.users[username] = CachedUser(principal: reply.principal, fetched: .now)
            }
            return reply.principal
        } catch let error as VarlinkError where error.name == "io.nox.Auth.UserNotFound" {
            state.withLockedValue { _ = $0.users.removeValue(forKey: username) }
            throw APIError.unauthorized()
        } catch {
            throw unavailable(error)
        }
    }

    func unavailable(_ error: any Error) -> APIError {
        logger.error("nox-auth cannot be asked", metadata: ["error": "\(error)"])
        return APIError(
            .serviceUnavailable, code: "auth_unavailable", message: "The authentication service is not answering; try again shortly.",
            headers: ["Retry-After": "1"])
    }
}
