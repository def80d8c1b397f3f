import Foundation
import HTTPTypes
import Logging
import NIOPosix
import NoxRuntime

/// nox-auth's domain: sign-in, token rotation, credentials → principals, audit.
public struct AuthService: Sendable {
    public let users: UserStore
    public let keys: KeyStore
    public let refreshTokens: RefreshTokenStore
    public let audit: AuditLog
    public let signingKeys: SigningKeys
    public let throttle: LoginThrottle
    public let configuration: NoxConfiguration
    /// Removes a deleted user's data in the other daemons.
    public let userDataCleaner: UserDataCleaner
    let hasher = Scrypt()
    /// Verified against when the username does not exist, so timing doesn't reveal which names do.
    /// Random bytes in the hash format: no password matches, and nothing is computed at start-up.
    let decoyHash = "scrypt$15$8$1$CQtgBPrJ4XXlM_m1anUEsg$gvdhZ0iP1fXP5dAthG8AyDs0A8R4HLcnBYvHXteiwrc"

    public init(
        database: AuthDatabase, signingKeys: SigningKeys, configuration: NoxConfiguration, logger: Logger,
        userDataCleaner: UserDataCleaner? = nil
    ) throws {
        self.userDataCleaner = userDataCleaner ?? .none(logger: logger)
        users = UserStore(database: database)
        keys = KeyStore(database: database)
        refreshTokens = RefreshTokenStore(database: database)
        audit = AuditLog(database: database, logger: logger)
        self.signingKeys = signingKeys
        self.configuration = configuration
        throttle = LoginThrottle(configuration: configuration.auth)
    }

    /// What a request is about, for the audit log.
    public struct Origin: Sendable {
        public var requestID: String?
        public var sourceAddress: String?
        public init(requestID: String?, sourceAddress: String?) {
            self.requestID = requestID
            self.sourceAddress = sourceAddress
        }
    }

    public struct TokenPair: Codable, Sendable {
        public var access_token: String
        public var refresh_token: String
        public var token_type = "Bearer"
        public var expires_in: Int
    }

    // MARK: Passwords

    /// Hashes off the cooperative pool: scrypt is deliberately slow and memory-hard.
    public func hashPassword(_ password: String) async throws -> String {
        let hasher = self.hasher
        return try await NIOThreadPool.singleton.runIfActive { try hasher.hash(password: password) }
    }

    func verifyPassword(_ password: String, hash: String) async throws -> Bool {
        try await NIOThreadPool.singleton.runIfActive { Scrypt.verify(password: password, encoded: hash) }
    }

    // MARK: Sign-in

    public func login(username: String, password: String, origin: Origin) async throws -> TokenPair {
        let now = Clock.now()
        let address = origin.sourceAddress ?? "local"
        if let wait = throttle.retryAfter(username: username, address: address, now: now) {
            AuthMetrics.failure("login_throttled")
            try await record(username, "auth.login", target: username, .denied, origin)
            throw APIError.rateLimited(retryAfter: wait, "Too many failed sign-ins; try again in \(wait) s.")
        }
        let user = try await users.find(username)
        let passwordMatches = try await verifyPassword(password, hash: user?.passwordHash ?? decoyHash)
        guard let user, passwordMatches, !user.disabled else {
            throttle.recordFailure(username: username, address: address, now: now)
            AuthMetrics.failure("login")
            try await record(Validation.isValidUsername(username) ? username : nil, "auth.login", target: username, .failure, origin)
            throw APIError(
                .unauthorized, code: "invalid_credentials", message: "Wrong username or password.", headers: ["WWW-Authenticate": "Bearer"])
        }
        throttle.recordSuccess(username: username, address: address)
        let pair = try await issueTokens(
            for: user, refreshToken: refreshTokens.startFamily(username: user.username, ttl: configuration.auth.refreshTokenTTL, now: now), now: now)
        try await record(user.username, "auth.login", target: user.username, .success, origin)
        return pair
    }

    public func refresh(_ token: String, origin: Origin) async throws -> TokenPair {
        do {
            return try await rotate(token, origin: origin)
        } catch let error as APIError where error.statusCode == 401 {
            AuthMetrics.failure("refresh")
            throw error
        }
    }

    func rotate(_ token: String, origin: Origin) async throws -> TokenPair {
        let now = Clock.now()
        let refused = APIError.unauthorized("The refresh token is invalid, expired or revoked.")
        switch try await refreshTokens.rotate(token, ttl: configuration.auth.refreshTokenTTL, now: now) {
        case .rotated(let username, let next):
            guard let user = try await users.find(username), !user.disabled else {
                _ = try await refreshTokens.revokeFamily(of: next, now: now)
                try await record(username, "auth.refresh", target: username, .failure, origin)
                throw refused
            }
            let pair = try await issueTokens(for: user, refreshToken: next, now: now)
            try await record(username, "auth.refresh", target: username, .success, origin)
            return pair
        case .reused(let username):
            try await record(username, "auth.refresh", target: "token_family_revoked", .denied, origin)
            throw APIError.unauthorized("This refresh token was already used; every session of its family has been signed out.")
        case .unknown, .expired, .revoked:
            try await record(nil, "auth.refresh", target: nil, .failure, origin)
            throw refused
        }
    }

    public func logout(_ token: String, origin: Origin) async throws {
        guard let username = try await refreshTokens.revokeFamily(of: token, now: Clock.now()) else {
            try await record(nil, "auth.logout", target: nil, .failure, origin)
            throw APIError.unauthorized("Unknown refresh token.")
        }
        try await record(username, "auth.logout", target: username, .success, origin)
    }

    func issueTokens(for user: UserRecord, refreshToken: String, now: UnixTime) async throws -> TokenPair {
        let ttl = configuration.auth.accessTokenTTL
        let claims = JWT.Claims(sub: user.username, iat: now, exp: now + ttl, jti: SecureRandom.token(byteCount: 12), role: user.role.rawValue)
        let access = try JWT.sign(claims, kid: signingKeys.signingKID, key: signingKeys.signingKey)
        return TokenPair(access_token: access, refresh_token: refreshToken, expires_in: ttl)
    }

    // MARK: Credentials

    /// The principal for a bearer credential, checked against the current database state, so
    /// a disabled or deleted user and a deleted key are refused at once.
    public func principal(forBearer bearer: String) async throws -> Principal {
        let refused = APIError.unauthorized()
        if bearer.hasPrefix(KeyStore.secretPrefix) {
            guard let key = try await keys.find(secret: bearer) else { throw refused }
            if let expires = key.expiresAt, expires <= Clock.now() {
                throw APIError.unauthorized("This API key has expired.")
            }
            guard let user = try await users.find(key.username), !user.disabled else { throw refused }
            let allowed = user.role.permissions.map(\.rawValue)
            return Principal(
                username: user.username, role: user.role.rawValue,
                permissions: key.scopes.filter(allowed.contains).sorted(),
                quotas: quotas(of: user), key_id: key.id
            )
        }
        let claims: JWT.Claims
        do {
            claims = try JWT.verify(bearer, keys: signingKeys.publicKeys, now: Clock.now())
        } catch .expired {
            throw APIError.unauthorized("The access token has expired; refresh it.")
        } catch {
            throw refused
        }
        guard let user = try await users.find(claims.sub), !user.disabled else { throw refused }
        return principal(of: user)
    }

    public func principal(of user: UserRecord) -> Principal {
        Principal(
            username: user.username, role: user.role.rawValue,
            permissions: user.role.permissions.map(\.rawValue).sorted(),
            quotas: quotas(of: user), disabled: user.disabled
        )
    }

    public func quotas(of user: UserRecord) -> Quotas {
        configuration.quotas.applying(user.quotaOverrides)
    }

    // MARK: Audit

    public func record(_ user: String?, _ action: String, target: String?, _ outcome: AuditEvent.Outcome, _ origin: Origin) async throws {
        try await audit.record(
            user: user, action: action, target: target, outcome: outcome,
            requestID: origin.requestID, sourceIP: origin.sourceAddress, now: Clock.now()
        )
    }

    // MARK: First admin

    /// Creates `admin` from the install-time password while there are no users at all.
    public func bootstrapAdmin(password: String, logger: Logger) async throws {
        guard try await users.count() == 0 else { return }
        let hash = try await hashPassword(password)
        if try await users.create(username: "admin", passwordHash: hash, role: .admin, quotaOverrides: [:], now: Clock.now()) != nil {
            try await record("system", "user.create", target: "admin", .success, Origin(requestID: nil, sourceAddress: nil))
            logger.notice("Created the first administrator, admin, from the install-time password")
        }
    }
}

/// nox-auth authenticates against its own database.
struct LocalAuthenticator: Authenticator {
    let service: AuthService
    func authenticate(bearer: String) async throws -> Principal {
        do {
            return try await service.principal(forBearer: bearer)
        } catch let error as APIError where error.statusCode == 401 {
            AuthMetrics.failure("credential")
            throw error
        }
    }
}
