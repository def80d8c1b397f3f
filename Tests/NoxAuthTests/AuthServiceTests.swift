import Foundation
import Logging
import NoxRuntime
import NoxTestSupport
import Testing

@testable import NoxAuth

/// An AuthService over a fresh database, with cheap password hashing settings kept real.
struct AuthFixture {
    let directory: TemporaryDirectory
    let service: AuthService
    let origin = AuthService.Origin(requestID: "req-1", sourceAddress: "192.0.2.7")

    init(configure: (inout NoxConfiguration) -> Void = { _ in }) async throws {
        directory = try TemporaryDirectory()
        var configuration = NoxConfiguration()
        configure(&configuration)
        let database = try AuthDatabase(path: directory.path + "/auth.sqlite")
        let keys = try SigningKeys.load(directory: directory.path + "/keys")
        service = try AuthService(
            database: database, signingKeys: keys, configuration: configuration,
            logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }))
        try await service.bootstrapAdmin(password: "admin-password", logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }))
    }

    @discardableResult
    func addUser(_ name: String, role: Role = .user, password: String = "password-1") async throws -> UserRecord {
        let hash = try await service.hashPassword(password)
        return try #require(try await service.users.create(username: name, passwordHash: hash, role: role, quotaOverrides: [:], now: Clock.now()))
    }

    func status(_ body: () async throws -> Void) async -> Int? {
        await apiStatus(body)
    }
}

/// The HTTP status an operation fails with: nil when it succeeds, -1 for a non-API error.
func apiStatus(_ body: () async throws -> Void) async -> Int? {
    do {
        try await body()
        return nil
    } catch let error as APIError {
        return error.statusCode
    } catch {
        return -1
    }
}

@Suite struct LoginTests {
    @Test func firstAdminIsCreatedOnceFromTheCredential() async throws {
        let fixture = try await AuthFixture()
        defer { fixture.directory.remove() }
        let admin = try #require(try await fixture.service.users.find("admin"))
        #expect(admin.role == .admin)
        try await fixture.service.bootstrapAdmin(
            password: "another-password", logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }))
        _ = try await fixture.service.login(username: "admin", password: "admin-password", origin: fixture.origin)
    }

    @Test func loginGivesAVerifiableAccessTokenAndARefreshToken() async throws {
        let fixture = try await AuthFixture()
        defer { fixture.directory.remove() }
        let pair = try await fixture.service.login(username: "admin", password: "admin-password", origin: fixture.origin)
        #expect(pair.token_type == "Bearer")
        #expect(pair.expires_in == 900)
        let claims = try JWT.verify(pair.access_token, keys: fixture.service.signingKeys.publicKeys, now: Clock.now())
        #expect(claims.sub == "admin")
        #expect(claims.exp - claims.iat == 900)
        let principal = try await fixture.service.principal(forBearer: pair.access_token)
        #expect(principal.username == "admin")
        #expect(principal.has(.adminUsers))
    }

    @Test func wrongPasswordAndUnknownUserGetTheSame401() async throws {
        let fixture = try await AuthFixture()
        defer { fixture.directory.remove() }
        var messages: [String] = []
        for (user, password) in [("admin", "wrong-password"), ("nobody", "whatever-pw")] {
            do {
                _ = try await fixture.service.login(username: user, password: password, origin: fixture.origin)
                Issue.record("login succeeded")
            } catch let error as APIError {
                #expect(error.statusCode == 401)
                messages.append(error.message)
            }
        }
        #expect(Set(messages).count == 1)
    }

    @Test func repeatedFailuresBackOffEvenForTheRightPassword() async throws {
        let fixture = try await AuthFixture()
        defer { fixture.directory.remove() }
        try await fixture.addUser("carol")
        var statuses: [Int?] = []
        for _ in 0..<7 {
            statuses.append(
                await fixture.status { _ = try await fixture.service.login(username: "carol", password: "nope-nope", origin: fixture.origin) })
        }
        #expect(statuses.prefix(5).allSatisfy { $0 == 401 })
        #expect(statuses.last == 429)
        let right = await fixture.status { _ = try await fixture.service.login(username: "carol", password: "password-1", origin: fixture.origin) }
        #expect(right == 429)
        // Another user from elsewhere is unaffected.
        try await fixture.addUser("dave")
        let other = AuthService.Origin(requestID: nil, sourceAddress: "198.51.100.1")
        _ = try await fixture.service.login(username: "dave", password: "password-1", origin: other)
    }

    @Test func disabledUserCannotLogInAndTheirTokensStop() async throws {
        let fixture = try await AuthFixture()
        defer { fixture.directory.remove() }
        try await fixture.addUser("erin")
        let pair = try await fixture.service.login(username: "erin", password: "password-1", origin: fixture.origin)
        var change = UserStore.Change()
        change.disabled = true
        _ = try await fixture.service.users.update("erin", change, now: Clock.now())
        #expect(await fixture.status { _ = try await fixture.service.principal(forBearer: pair.access_token) } == 401)
        #expect(await fixture.status { _ = try await fixture.service.refresh(pair.refresh_token, origin: fixture.origin) } == 401)
        #expect(await fixture.status { _ = try await fixture.service.login(username: "erin", password: "password-1", origin: fixture.origin) } == 401)
    }
}

@Suite struct RefreshTests {
    @Test func refreshRotatesAndReuseRevokesTheFamily() async throws {
        let fixture = try await AuthFixture()
        defer { fixture.directory.remove() }
        let first = try await fixture.service.login(username: "admin", password: "admin-password", origin: fixture.origin)
        let second = try await fixture.service.refresh(first.refresh_token, origin: fixture.origin)
        #expect(second.refresh_token != first.refresh_token)
        // The spent token comes back: refused, and its successor dies with it.
        #expect(await fixture.status { _ = try await fixture.service.refresh(first.refresh_token, origin: fixture.origin) } == 401)
        #expect(await fixture.status { _ = try await fixture.service.refresh(second.refresh_token, origin: fixture.origin) } == 401)
        // Another login (another family) still works.
        let other = try await fixture.service.login(username: "admin", password: "admin-password", origin: fixture.origin)
        _ = try await fixture.service.refresh(other.refresh_token, origin: fixture.origin)
    }

    @Test func logoutRevokesTheFamily() async throws {
        let fixture = try await AuthFixture()
        defer { fixture.directory.remove() }
        let pair = try await fixture.service.login(username: "admin", password: "admin-password", origin: fixture.origin)
        try await fixture.service.logout(pair.refresh_token, origin: fixture.origin)
        #expect(await fixture.status { _ = try await fixture.service.refresh(pair.refresh_token, origin: fixture.origin) } == 401)
        #expect(await fixture.status { try await fixture.service.logout("not-a-token", origin: fixture.origin) } == 401)
    }
}

@Suite struct APIKeyTests {
    @Test func keyAuthenticatesWithItsScopesUntilDeleted() async throws {
        let fixture = try await AuthFixture()
        defer { fixture.directory.remove() }
        let (record, secret) = try await fixture.service.keys.create(
            username: "admin", name: "ci", scopes: ["exec:run"], expiresAt: nil, now: Clock.now())
        #expect(secret.hasPrefix("nox_"))
        let principal = try await fixture.service.principal(forBearer: secret)
        #expect(principal.permissions == ["exec:run"])
        #expect(principal.key_id == record.id)
        #expect(try await fixture.service.keys.delete(id: record.id, username: "someone-else") == false)
        #expect(try await fixture.service.keys.delete(id: record.id, username: "admin"))
        #expect(await fixture.status { _ = try await fixture.service.principal(forBearer: secret) } == 401)
    }

    @Test func expiredKeyIsRefused() async throws {
        let fixture = try await AuthFixture()
        defer { fixture.directory.remove() }
        let (_, secret) = try await fixture.service.keys.create(
            username: "admin", name: "old", scopes: [], expiresAt: Clock.now() - 1, now: Clock.now())
        #expect(await fixture.status { _ = try await fixture.service.principal(forBearer: secret) } == 401)
    }

    @Test func keyScopesShrinkWithTheOwnersRole() async throws {
        let fixture = try await AuthFixture()
        defer { fixture.directory.remove() }
        try await fixture.addUser("frank", role: .admin)
        let (_, secret) = try await fixture.service.keys.create(
            username: "frank", name: "k", scopes: ["admin:users", "files:read"], expiresAt: nil, now: Clock.now())
        var change = UserStore.Change()
        change.role = .viewer
        _ = try await fixture.service.users.update("frank", change, now: Clock.now())
        #expect(try await fixture.service.principal(forBearer: secret).permissions == ["files:read"])
    }
}

@Suite struct UserStoreTests {
    @Test func theLastEnabledAdminCannotBeRemovedDemotedOrDisabled() async throws {
        let fixture = try await AuthFixture()
        defer { fixture.directory.remove() }
        var demote = UserStore.Change()
        demote.role = .user
        guard case .lastAdmin = try await fixture.service.users.update("admin", demote, now: Clock.now()) else {
            Issue.record("last admin demoted")
            return
        }
        guard case .lastAdmin = try await fixture.service.users.delete("admin") else {
            Issue.record("last admin deleted")
            return
        }
        try await fixture.addUser("grace", role: .admin)
        guard case .deleted = try await fixture.service.users.delete("admin") else {
            Issue.record("admin not deleted although another exists")
            return
        }
    }

    @Test func duplicateUserIsRefusedAndListingPages() async throws {
        let fixture = try await AuthFixture()
        defer { fixture.directory.remove() }
        for name in ["u1", "u2", "u3"] { try await fixture.addUser(name) }
        let hash = try await fixture.service.hashPassword("password-1")
        #expect(try await fixture.service.users.create(username: "u1", passwordHash: hash, role: .user, quotaOverrides: [:], now: 0) == nil)
        let first = try await fixture.service.users.list(after: nil, limit: 2)
        let second = try await fixture.service.users.list(after: first.last?.username, limit: 2)
        #expect(first.map(\.username) + second.map(\.username) == ["admin", "u1", "u2", "u3"])
    }

    @Test func quotaOverridesMergeOverServerDefaults() async throws {
        let fixture = try await AuthFixture { $0.quotas.memory_mb = 300 }
        defer { fixture.directory.remove() }
        let user = try await fixture.addUser("heidi")
        #expect(fixture.service.quotas(of: user).memory_mb == 300)
        var change = UserStore.Change()
        change.quotaOverrides = ["memory_mb": 128]
        guard case .updated(let updated) = try await fixture.service.users.update("heidi", change, now: Clock.now()) else {
            Issue.record("update failed")
            return
        }
        #expect(fixture.service.quotas(of: updated).memory_mb == 128)
        #expect(fixture.service.quotas(of: updated).cpu_percent == 100)
        // null removes the override: back to the server default.
        change.quotaOverrides = ["memory_mb": Int?.none]
        guard case .updated(let reset) = try await fixture.service.users.update("heidi", change, now: Clock.now()) else {
            Issue.record("update failed")
            return
        }
        #expect(fixture.service.quotas(of: reset).memory_mb == 300)
        #expect(reset.quotaOverrides.isEmpty)
    }
}

@Suite struct AuditTests {
    @Test func eventsAreRecordedAndFiltered() async throws {
        let fixture = try await AuthFixture()
        defer { fixture.directory.remove() }
        _ = try? await fixture.service.login(username: "admin", password: "bad-password", origin: fixture.origin)
        _ = try await fixture.service.login(username: "admin", password: "admin-password", origin: fixture.origin)
        let logins = try await fixture.service.audit.query(.init(action: "auth.login", limit: 10))
        #expect(logins.map(\.outcome) == ["success", "failure"])
        #expect(logins.allSatisfy { $0.request_id == "req-1" && $0.source_ip == "192.0.2.7" })
        let byUser = try await fixture.service.audit.query(.init(user: "system", limit: 10))
        #expect(byUser.map(\.action) == ["user.create"])
        let future = try await fixture.service.audit.query(.init(since: Clock.now() + 3600, limit: 10))
        #expect(future.isEmpty)
    }
}

@Suite struct ThrottleTests {
    @Test func addressBackoffNeedsManyMoreFailuresThanUsernameBackoff() {
        let throttle = LoginThrottle(configuration: NoxConfiguration().auth)
        for index in 0..<10 {
            throttle.recordFailure(username: "user\(index)", address: "203.0.113.9", now: 1000)
        }
        #expect(throttle.retryAfter(username: "fresh", address: "203.0.113.9", now: 1000) == nil)
        for index in 0..<25 {
            throttle.recordFailure(username: "user\(index)", address: "203.0.113.9", now: 1000)
        }
        #expect(throttle.retryAfter(username: "fresh", address: "203.0.113.9", now: 1000) != nil)
        #expect(throttle.retryAfter(username: "fresh", address: "203.0.113.10", now: 1000) == nil)
        // The block ends.
        #expect(throttle.retryAfter(username: "fresh", address: "203.0.113.9", now: 1000 + 3600) == nil)
    }

    @Test func aSuccessClearsItsAddressButNotOtherAccounts() {
        let throttle = LoginThrottle(configuration: NoxConfiguration().auth)
        for index in 0..<15 { throttle.recordFailure(username: "user\(index)", address: "203.0.113.9", now: 1000) }
        for _ in 0..<6 { throttle.recordFailure(username: "target", address: "198.51.100.4", now: 1000) }
        throttle.recordSuccess(username: "someone", address: "203.0.113.9")
        for index in 0..<15 { throttle.recordFailure(username: "user\(index)", address: "203.0.113.9", now: 1000) }
        #expect(throttle.retryAfter(username: "fresh", address: "203.0.113.9", now: 1000) == nil)
        #expect(throttle.retryAfter(username: "target", address: "203.0.113.9", now: 1000) != nil)
    }
}
