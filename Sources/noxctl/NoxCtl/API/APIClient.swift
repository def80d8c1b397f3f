import Glibc

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// How requests are authenticated.
public enum Authentication: Sendable {
    /// No `Authorization` header (login, health).
    case none
    /// A fixed token: `--token`/`NOX_TOKEN` (a JWT or an API key); never refreshed.
    case token(String)
    /// The login stored for this server by `noxctl login`, refreshed when needed.
    case stored(CredentialStore)
}

/// The Nox HTTP API over a transport: URLs, JSON, the error shape, and transparent refresh.
public final class APIClient {
    public let baseURL: String
    let transport: any HTTPTransport
    let authentication: Authentication
    /// The clock, replaceable in tests.
    var now: () -> Double = { Date().timeIntervalSince1970 }
    /// Refresh this many seconds before the access token expires (clock skew, slow requests).
    static let refreshMargin = 30.0

    public init(baseURL: String, transport: any HTTPTransport, authentication: Authentication) {
        self.baseURL = baseURL
        self.transport = transport
        self.authentication = authentication
    }

    // MARK: requests

    /// Sends a request and returns its (2xx) response; an error answer throws `APIError`.
    /// - Parameters:
    ///   - path: the API path, already percent-encoded (see `pathSegment`).
    ///   - query: query parameters; nil values are left out.
    ///   - handlers: streaming and progress callbacks for big bodies.
    @discardableResult
    public func send(
        _ method: String, _ path: String, query: [(String, String?)] = [], body: HTTPRequest.Body = .none,
        headers: [(name: String, value: String)] = [], handlers: TransferHandlers = TransferHandlers()
    ) throws -> HTTPResponse {
        var request = HTTPRequest(method: method, url: url(path, query: query), headers: headers, body: body)
        if case .data = body, request.header("Content-Type") == nil {
            request.headers.append((name: "Content-Type", value: "application/json"))
        }
        var usedToken = try currentToken()
        if let usedToken { request.headers.append((name: "Authorization", value: "Bearer \(usedToken)")) }
        var response = try transport.send(request, handlers: handlers)
        if response.status == 401, case .stored = authentication, let spent = usedToken {
            // The access token was refused (expired early, key rotated): refresh once and retry.
            usedToken = try refreshedToken(replacing: spent)
            request.headers.removeAll { $0.name == "Authorization" }
            request.headers.append((name: "Authorization", value: "Bearer \(usedToken!)"))
            response = try transport.send(request, handlers: handlers)
        }
        guard response.isSuccess else {
            throw APIError(status: response.status, body: response.body, requestID: response.headers["x-request-id"])
        }
        return response
    }

    /// Sends a JSON body (or none) and decodes the JSON answer (`.null` for an empty body, e.g. 204).
    @discardableResult
    public func json(_ method: String, _ path: String, query: [(String, String?)] = [], body: JSONValue? = nil) throws -> JSONValue {
        let payload: HTTPRequest.Body = try body.map { .data(Array(try JSONEncoder().encode($0))) } ?? .none
        let response = try send(method, path, query: query, body: payload)
        if response.body.isEmpty { return .null }
        do {
            return try JSONValue.parse(Data(response.body))
        } catch {
            throw NoxCtlError("the server's answer to \(method) \(path) is not JSON")
        }
    }

    /// Every item of a paginated list (`{items, next_cursor}`), following cursors; at most
    /// `limit` items when given.
    public func list(_ path: String, query: [(String, String?)] = [], limit: Int? = nil) throws -> [JSONValue] {
        var items: [JSONValue] = []
        var cursor: String?
        repeat {
            var pageQuery = query
            let pageSize = limit.map { min(1000, max(1, $0 - items.count)) } ?? 1000
            pageQuery.append(("limit", String(pageSize)))
            pageQuery.append(("cursor", cursor))
            let page = try json("GET", path, query: pageQuery)
            items += page["items"].array ?? []
            cursor = page["next_cursor"].string
            if let limit, items.count >= limit { return Array(items.prefix(limit)) }
        } while cursor != nil
        return items
    }

    // MARK: URLs

    /// `baseURL + path + ?query`.
    public func url(_ path: String, query: [(String, String?)] = []) -> String {
        var url = baseURL + path
        let pairs = query.compactMap { name, value in value.map { "\(Self.queryComponent(name))=\(Self.queryComponent($0))" } }
        if !pairs.isEmpty { url += "?" + pairs.joined(separator: "&") }
        return url
    }

    /// Percent-encodes everything but RFC 3986's unreserved characters (so `/`, `&`, `=`, `?`,
    /// `#` and spaces inside a value can never change the URL's structure).
    static func percentEncoded(_ text: String) -> String {
        var out = ""
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"):
                out.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                out += "%" + Digits.hex([byte]).uppercased()
            }
        }
        return out
    }

    /// Percent-encodes a query name or value.
    public static func queryComponent(_ text: String) -> String { percentEncoded(text) }

    /// Percent-encodes one path segment (a `/` inside it too).
    public static func pathSegment(_ text: String) -> String { percentEncoded(text) }

    /// A sandbox path as URL path segments: `dir/a b.txt` → `dir/a%20b.txt`. Leading and
    /// repeated slashes are dropped (paths are relative to the sandbox root).
    public static func filePath(_ path: String) -> String {
        path.split(separator: "/", omittingEmptySubsequences: true).map { pathSegment(String($0)) }.joined(separator: "/")
    }

    // MARK: tokens

    private func currentToken() throws -> String? {
        switch authentication {
        case .none: return nil
        case .token(let token): return token
        case .stored(let store):
            guard let login = try store.login(for: baseURL) else { throw notLoggedIn() }
            if login.expiresAt - Self.refreshMargin > now() { return login.accessToken }
            return try refreshedToken(replacing: login.accessToken)
        }
    }

    private func notLoggedIn() -> NoxCtlError {
        NoxCtlError("not logged in to \(baseURL): run 'noxctl login' (or pass --token / set NOX_TOKEN)")
    }

    /// A fresh access token after `spent` was found expired or refused. Under the credentials
    /// file's lock: if another noxctl already replaced `spent`, its new pair is used as is.
    func refreshedToken(replacing spent: String) throws -> String {
        guard case .stored(let store) = authentication else { throw notLoggedIn() }
        var refused: (any Error)?
        let login = try store.update(baseURL) { (current) throws -> StoredLogin?? in
            guard let current else { return nil }
            if current.accessToken != spent && current.expiresAt - Self.refreshMargin > now() { return nil }
            do {
                let pair = try tokenRequest("/api/auth/refresh", body: .object(["refresh_token": .string(current.refreshToken)]))
                return .some(StoredLogin(username: current.username, pair: pair, now: now()))
            } catch let error as APIError where error.status == 401 {
                // Spent or revoked (logout elsewhere, family revoked): the login is gone.
                refused = error
                return .some(nil)
            } catch let error as NoxCtlError {
                throw error
            } catch {
                throw NoxCtlError("\(error)")
            }
        }
        if refused != nil { throw NoxCtlError("the login to \(baseURL) has expired or was revoked: run 'noxctl login' again") }
        guard let login else { throw notLoggedIn() }
        return login.accessToken
    }

    /// POSTs to a token endpoint without any Authorization header and reads the pair.
    func tokenRequest(_ path: String, body: JSONValue) throws -> JSONValue {
        let request = HTTPRequest(
            method: "POST", url: url(path), headers: [(name: "Content-Type", value: "application/json")],
            body: .data(Array(try JSONEncoder().encode(body))))
        let response = try transport.send(request, handlers: TransferHandlers())
        guard response.isSuccess else {
            throw APIError(status: response.status, body: response.body, requestID: response.headers["x-request-id"])
        }
        let pair = try JSONValue.parse(Data(response.body))
        guard pair["access_token"].string != nil, pair["refresh_token"].string != nil else {
            throw NoxCtlError("the server's answer to \(path) has no token pair")
        }
        return pair
    }

    /// Logs in and stores the pair for this server.
    public func login(username: String, password: String, store: CredentialStore) throws -> StoredLogin {
        let pair = try tokenRequest("/api/auth/login", body: .object(["username": .string(username), "password": .string(password)]))
        let login = StoredLogin(username: username, pair: pair, now: now())
        try store.update(baseURL) { _ in .some(login) }
        return login
    }
}

extension StoredLogin {
    /// From a login/refresh answer `{access_token, refresh_token, expires_in}`.
    init(username: String, pair: JSONValue, now: Double) {
        self.init(
            username: username,
            accessToken: pair["access_token"].string ?? "",
            refreshToken: pair["refresh_token"].string ?? "",
            expiresAt: now + Double(pair["expires_in"].int ?? 900))
    }
}
