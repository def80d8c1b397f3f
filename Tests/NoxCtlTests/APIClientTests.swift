import Foundation
import Testing

@testable import NoxCtl

/// A transport answering from a closure and recording every request.
final class FakeTransport: HTTPTransport {
    var requests: [HTTPRequest] = []
    var answer: (HTTPRequest) -> HTTPResponse

    init(_ answer: @escaping (HTTPRequest) -> HTTPResponse) {
        self.answer = answer
    }

    func send(_ request: HTTPRequest, handlers: TransferHandlers) throws -> HTTPResponse {
        requests.append(request)
        var response = answer(request)
        if let onData = handlers.onData, response.isSuccess {
            _ = response.body.withUnsafeBytes { onData($0) }
            response.body = []
        }
        return response
    }
}

func jsonResponse(_ status: Int, _ text: String) -> HTTPResponse {
    HTTPResponse(status: status, headers: ["content-type": "application/json", "x-request-id": "rid"], body: Array(text.utf8))
}

func bodyText(_ request: HTTPRequest) -> String {
    if case .data(let bytes) = request.body { return String(decoding: bytes, as: UTF8.self) }
    return ""
}

@Suite struct APIClientTests {
    let base = "https://nox.test"

    func store(_ login: StoredLogin?) throws -> (CredentialStore, TemporaryDirectory) {
        let directory = try TemporaryDirectory()
        let store = CredentialStore(path: directory.path + "/credentials.json")
        if let login { try store.update(base) { _ in .some(login) } }
        return (store, directory)
    }

    @Test func anExpiredAccessTokenIsRefreshedBeforeTheRequest() throws {
        let (store, directory) = try store(StoredLogin(username: "alice", accessToken: "old", refreshToken: "r1", expiresAt: 10))
        let transport = FakeTransport { request in
            if request.url.hasSuffix("/api/auth/refresh") {
                #expect(bodyText(request).contains("\"r1\""))
                #expect(request.header("Authorization") == nil)
                return jsonResponse(200, #"{"access_token":"new","refresh_token":"r2","token_type":"Bearer","expires_in":900}"#)
            }
            #expect(request.header("Authorization") == "Bearer new")
            return jsonResponse(200, #"{"username":"alice"}"#)
        }
        let client = APIClient(baseURL: base, transport: transport, authentication: .stored(store))
        client.now = { 1000 }
        #expect(try client.json("GET", "/api/auth/me")["username"].string == "alice")
        #expect(transport.requests.count == 2)
        let saved = try #require(try store.login(for: base))
        #expect(saved.refreshToken == "r2" && saved.accessToken == "new" && saved.expiresAt == 1900)
        withExtendedLifetime(directory) {}
    }

    @Test func aRefusedTokenIsRefreshedOnceAndTheRequestRetried() throws {
        let (store, directory) = try store(StoredLogin(username: "alice", accessToken: "bad", refreshToken: "r1", expiresAt: 5000))
        let transport = FakeTransport { request in
            if request.url.hasSuffix("/refresh") {
                return jsonResponse(200, #"{"access_token":"good","refresh_token":"r2","expires_in":900}"#)
            }
            if request.header("Authorization") == "Bearer bad" {
                return jsonResponse(401, #"{"error":{"code":"unauthorized","message":"Expired."}}"#)
            }
            #expect(bodyText(request) == #"{"a":1}"#)
            return jsonResponse(201, #"{"ok":true}"#)
        }
        let client = APIClient(baseURL: base, transport: transport, authentication: .stored(store))
        client.now = { 1000 }
        #expect(try client.json("POST", "/api/x", body: .object(["a": .int(1)]))["ok"].bool == true)
        #expect(transport.requests.map { $0.url } == [base + "/api/x", base + "/api/auth/refresh", base + "/api/x"])
        withExtendedLifetime(directory) {}
    }

    @Test func aRevokedRefreshTokenForgetsTheLoginAndSaysSo() throws {
        let (store, directory) = try store(StoredLogin(username: "alice", accessToken: "a", refreshToken: "spent", expiresAt: 0))
        let transport = FakeTransport { _ in jsonResponse(401, #"{"error":{"code":"invalid_token","message":"Revoked."}}"#) }
        let client = APIClient(baseURL: base, transport: transport, authentication: .stored(store))
        client.now = { 1000 }
        #expect {
            try client.json("GET", "/api/auth/me")
        } throws: { error in
            (error as? NoxCtlError)?.message.contains("revoked") == true
        }
        #expect(try store.login(for: base) == nil)
        withExtendedLifetime(directory) {}
    }

    @Test func aPairRefreshedByAnotherProcessIsUsedNotRefreshedAgain() throws {
        let (store, directory) = try store(StoredLogin(username: "alice", accessToken: "theirs", refreshToken: "r2", expiresAt: 5000))
        let transport = FakeTransport { _ in
            Issue.record("no request expected")
            return jsonResponse(500, "")
        }
        let client = APIClient(baseURL: base, transport: transport, authentication: .stored(store))
        client.now = { 1000 }
        #expect(try client.refreshedToken(replacing: "mine") == "theirs")
        withExtendedLifetime(directory) {}
    }

    @Test func notLoggedInIsAClearError() throws {
        let (store, directory) = try store(nil)
        let client = APIClient(baseURL: base, transport: FakeTransport { _ in jsonResponse(200, "{}") }, authentication: .stored(store))
        #expect { try client.json("GET", "/api/auth/me") } throws: { error in
            (error as? NoxCtlError)?.message.contains("noxctl login") == true
        }
        withExtendedLifetime(directory) {}
    }

    @Test func errorAnswersCarryTheServersMessage() throws {
        let transport = FakeTransport { _ in
            jsonResponse(422, #"{"error":{"code":"validation_failed","message":"role is unknown.","details":{"field":"role"}}}"#)
        }
        let client = APIClient(baseURL: base, transport: transport, authentication: .token("t"))
        #expect { try client.json("GET", "/api/x") } throws: { error in
            guard let error = error as? APIError else { return false }
            return error.status == 422 && error.code == "validation_failed" && error.description.contains("role is unknown.")
                && error.description.contains("field") && error.requestID == "rid"
        }
        let html = FakeTransport { _ in HTTPResponse(status: 502, body: Array("<html>bad gateway</html>".utf8)) }
        #expect { try APIClient(baseURL: base, transport: html, authentication: .none).json("GET", "/x") } throws: { error in
            (error as? APIError)?.message.contains("did not answer") == true
        }
    }

    @Test func listsFollowCursorsAndStopAtTheLimit() throws {
        let transport = FakeTransport { request in
            if request.url.contains("cursor=c2") { return jsonResponse(200, #"{"items":[{"n":3}],"next_cursor":null}"#) }
            return jsonResponse(200, #"{"items":[{"n":1},{"n":2}],"next_cursor":"c2"}"#)
        }
        let client = APIClient(baseURL: base, transport: transport, authentication: .token("t"))
        #expect(try client.list("/api/h", query: [("q", "a b&c")]).compactMap { $0["n"].int } == [1, 2, 3])
        #expect(transport.requests[0].url == base + "/api/h?q=a%20b%26c&limit=1000")
        #expect(try client.list("/api/h", limit: 2).count == 2)
    }

    @Test func filePathsAreEncodedPerSegment() {
        #expect(APIClient.filePath("/dir//a b/ü?.txt") == "dir/a%20b/%C3%BC%3F.txt")
        #expect(APIClient.pathSegment("a/b") == "a%2Fb")
    }
}
