import Foundation
import Hummingbird
import Logging
import NoxTestSupport
import ServiceLifecycle
import Testing

@testable import NoxRuntime

@Suite struct HTTPServerTests {
    struct Echo: Codable { var name: String; var count: Int }

    /// A server for a small router on `socket`.
    func makeServer(socket: String) -> ActivatedHTTPServer {
        let router = Router(context: NoxRequestContext.self)
        let registry = RouteRegistry()
        router.add(middleware: RequestMiddleware(registry: registry))
        router.route(.post, "/api/echo", registry: registry) { request, _ in
            let echo = try await JSON.decode(Echo.self, from: request, limit: 1024)
            return try JSON.response(echo, status: .created)
        }
        router.route(.get, "/api/things/{id}", registry: registry) { _, context in
            try JSON.response(["id": context.parameters.get("id") ?? ""])
        }
        router.route(.get, "/api/crash", registry: registry) { _, _ in
            throw CocoaError(.fileReadCorruptFile)
        }
        return ActivatedHTTPServer(
            socket: .path(socket), responder: router.buildResponder(), activity: ActivityTracker(), logger: Self.quietLogger
        )
    }

    static let quietLogger = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })

    /// Waits until the server on `socket` answers (the socket file appears before listen()).
    func waitUntilServing(_ socket: String) async throws {
        for _ in 0..<200 {
            if (try? await UnixHTTPClient.request(socket: socket, method: "GET", path: "/ready")) != nil { return }
            try await Task.sleep(for: .milliseconds(20))
        }
    }

    /// Serves a small router on a temporary socket while `body` runs.
    func withServer(_ body: @escaping @Sendable (String) async throws -> Void) async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let socket = directory.path + "/http.sock"
        let server = makeServer(socket: socket)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await server.run() }
            try await waitUntilServing(socket)
            try await body(socket)
            group.cancelAll()
        }
    }

    @Test func jsonRoundTripAndRequestIDEcho() async throws {
        try await withServer { socket in
            let response = try await UnixHTTPClient.json(
                socket: socket, "POST", "/api/echo", ["name": "a", "count": 2], headers: ["X-Request-Id": "abc-123"])
            #expect(response.status == 201)
            #expect(response[header: "x-request-id"] == "abc-123")
            #expect(response[header: "content-type"] == "application/json; charset=utf-8")
            #expect(response.json?["count"] as? Int == 2)
        }
    }

    @Test func requestIDIsGeneratedWhenMissingOrUnsafe() async throws {
        try await withServer { socket in
            let plain = try await UnixHTTPClient.json(socket: socket, "GET", "/api/things/1")
            #expect((plain[header: "x-request-id"] ?? "").count >= 16)
            let hostile = try await UnixHTTPClient.json(socket: socket, "GET", "/api/things/1", headers: ["X-Request-Id": "a b<script>"])
            #expect(hostile[header: "x-request-id"] != "a b<script>")
        }
    }

    @Test(arguments: [
        ("{not json", 400, "invalid_json"),
        ("", 400, "invalid_json"),
        (#"{"name": "a"}"#, 422, "validation_failed"),
        (#"{"name": 1, "count": 2}"#, 422, "validation_failed"),
        ("[1,2]", 422, "validation_failed"),
        (#"{"name": "a", "count": 1e40}"#, 422, "validation_failed"),
        (#"{"name": "a", "count": 1.5}"#, 422, "validation_failed"),
        (#"{"name": "a", "count": 2,}"#, 400, "invalid_json"),
    ])
    func badBodiesGetTheJSONErrorShape(body: String, status: Int, code: String) async throws {
        try await withServer { socket in
            let response = try await UnixHTTPClient.request(
                socket: socket, method: "POST", path: "/api/echo", headers: ["Content-Type": "application/json"], body: Data(body.utf8))
            #expect(response.status == status)
            #expect(response.errorCode == code)
            #expect(((response.json?["error"] as? [String: Any])?["message"] as? String)?.isEmpty == false)
        }
    }

    @Test func missingFieldIsNamedInDetails() async throws {
        try await withServer { socket in
            let response = try await UnixHTTPClient.json(socket: socket, "POST", "/api/echo", ["name": "a"])
            let details = (response.json?["error"] as? [String: Any])?["details"] as? [String: String]
            #expect(details?["field"] == "count")
        }
    }

    @Test func oversizedBodyIs413() async throws {
        try await withServer { socket in
            let response = try await UnixHTTPClient.request(
                socket: socket, method: "POST", path: "/api/echo", body: Data(repeating: 0x20, count: 4096))
            #expect(response.status == 413)
            #expect(response.errorCode == "payload_too_large")
        }
    }

    @Test func unknownPathIs404AndWrongMethodIs405WithAllow() async throws {
        try await withServer { socket in
            let missing = try await UnixHTTPClient.json(socket: socket, "GET", "/api/nothing")
            #expect(missing.status == 404)
            #expect(missing.errorCode == "not_found")
            let wrong = try await UnixHTTPClient.json(socket: socket, "DELETE", "/api/things/7")
            #expect(wrong.status == 405)
            #expect(wrong[header: "allow"] == "GET")
        }
    }

    @Test func unexpectedErrorIsAGeneric500WithoutInternals() async throws {
        try await withServer { socket in
            let response = try await UnixHTTPClient.json(socket: socket, "GET", "/api/crash")
            #expect(response.status == 500)
            #expect(response.errorCode == "internal_error")
            #expect(!String(decoding: response.body, as: UTF8.self).contains("Cocoa"))
        }
    }

    /// Behind nginx each request is a new connection; one accepted an instant before a restart
    /// must still be answered, not dropped (nginx would turn that into a 502).
    @Test func connectionAcceptedJustBeforeShutdownIsStillServed() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let socket = directory.path + "/http.sock"
        let group = ServiceGroup(configuration: .init(services: [makeServer(socket: socket)], logger: Self.quietLogger))
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            try await waitUntilServing(socket)
            let connected = Flag(), mayProceed = Flag()
            async let response = UnixHTTPClient.request(socket: socket, method: "GET", path: "/api/things/9") {
                connected.set()
                while !mayProceed.isSet { usleep(5_000) }
            }
            while !connected.isSet { try await Task.sleep(for: .milliseconds(5)) }
            try await Task.sleep(for: .milliseconds(150))  // the server has accepted it by now
            await group.triggerGracefulShutdown()
            try await Task.sleep(for: .milliseconds(300))  // an unguarded server closes it in this window
            mayProceed.set()
            let answer = try await response
            #expect(answer.status == 200)
            #expect(answer.json?["id"] as? String == "9")
            try await tasks.waitForAll()
        }
    }
}

/// A thread-safe one-way switch for coordinating a test with a client thread.
final class Flag: @unchecked Sendable {
    private let lock = NSLock()
    private var value = false
    var isSet: Bool { lock.withLock { value } }
    func set() { lock.withLock { value = true } }
}

@Suite struct RouteRegistryTests {
    @Test func catchAllMatchesOneOrMoreSegments() {
        let registry = RouteRegistry()
        registry.record(.get, "/api/files/{path...}")
        registry.record(.post, "/api/files/move")
        registry.record(.get, "/api/files")
        #expect(registry.methods(for: "/api/files/a/b/c") == [.get])
        #expect(registry.methods(for: "/api/files/move") == [.get, .post])
        #expect(registry.methods(for: "/api/files") == [.get])
        #expect(registry.methods(for: "/api/other/a").isEmpty)
    }
}
