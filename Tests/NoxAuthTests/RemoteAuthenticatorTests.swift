import Foundation
import Logging
import NoxIPC
import NoxRuntime
import NoxTestSupport
import Testing

@testable import NoxAuth

/// Another daemon's view: RemoteAuthenticator asking nox-auth's real io.nox.Auth over a socket.
@Suite struct RemoteAuthenticatorTests {
    let quiet = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })

    func withAuthServer(_ body: @escaping @Sendable (AuthFixture, RemoteAuthenticator) async throws -> Void) async throws {
        let fixture = try await AuthFixture()
        defer { fixture.directory.remove() }
        let socket = fixture.directory.path + "/io.nox.Auth"
        let server = try VarlinkServer(
            info: VarlinkServiceInfo(vendor: "Nox", product: "nox-auth", version: "test", url: "https://example.invalid"),
            interfaces: [try AuthVarlinkInterface.make(service: fixture.service)],
            logger: quiet
        )
        let client = VarlinkClient(path: socket, logger: quiet)
        let authenticator = RemoteAuthenticator(client: client, userCacheTTL: .milliseconds(300), logger: quiet)
        let (listening, signal) = AsyncStream<Void>.makeStream()
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await server.run(listeningOn: .path(socket), onListening: { signal.yield() }) }
            for await _ in listening { break }
            try await body(fixture, authenticator)
            await client.close()
            group.cancelAll()
        }
    }

    func status(_ body: () async throws -> Void) async -> Int? {
        await apiStatus(body)
    }

    @Test func accessTokenIsVerifiedLocallyAndTheUserLookedUp() async throws {
        try await withAuthServer { fixture, authenticator in
            let pair = try await fixture.service.login(username: "admin", password: "admin-password", origin: fixture.origin)
            let principal = try await authenticator.authenticate(bearer: pair.access_token)
            #expect(principal.username == "admin")
            #expect(principal.has(.adminUsers))
            #expect(await status { _ = try await authenticator.authenticate(bearer: pair.access_token + "x") } == 401)
        }
    }

    @Test func disabledUserIsRefusedOnceTheShortCacheExpires() async throws {
        try await withAuthServer { fixture, authenticator in
            try await fixture.addUser("ivan")
            let pair = try await fixture.service.login(username: "ivan", password: "password-1", origin: fixture.origin)
            _ = try await authenticator.authenticate(bearer: pair.access_token)
            var change = UserStore.Change()
            change.disabled = true
            _ = try await fixture.service.users.update("ivan", change, now: Clock.now())
            try await Task.sleep(for: .milliseconds(400))
            #expect(await status { _ = try await authenticator.authenticate(bearer: pair.access_token) } == 401)
        }
    }

    @Test func deletedAPIKeyIsRefusedAtOnce() async throws {
        try await withAuthServer { fixture, authenticator in
            let (record, secret) = try await fixture.service.keys.create(
                username: "admin", name: "k", scopes: ["files:read"], expiresAt: nil, now: Clock.now())
            #expect(try await authenticator.authenticate(bearer: secret).permissions == ["files:read"])
            _ = try await fixture.service.keys.delete(id: record.id, username: "admin")
            #expect(await status { _ = try await authenticator.authenticate(bearer: secret) } == 401)
        }
    }

    @Test func unreachableAuthServiceIs503NotA401() async throws {
        let client = VarlinkClient(path: "/nonexistent/io.nox.Auth", logger: quiet)
        let authenticator = RemoteAuthenticator(client: client, logger: quiet)
        #expect(await status { _ = try await authenticator.authenticate(bearer: "nox_abc") } == 503)
        await client.close()
    }

    @Test func recordAuditLandsInTheAuditLog() async throws {
        try await withAuthServer { fixture, _ in
            let client = VarlinkClient(path: fixture.directory.path + "/io.nox.Auth", logger: quiet)
            _ = try await client.call(
                "io.nox.Auth.RecordAudit",
                parameters: ["user": "admin", "action": "file.delete", "target": "notes.txt", "outcome": "success", "request_id": "r-9"]
            )
            let events = try await fixture.service.audit.query(.init(action: "file.delete", limit: 5))
            #expect(events.first?.request_id == "r-9")
            await #expect(throws: VarlinkError.self) {
                _ = try await client.call("io.nox.Auth.RecordAudit", parameters: ["action": "x", "outcome": "maybe"])
            }
            await client.close()
        }
    }
}
