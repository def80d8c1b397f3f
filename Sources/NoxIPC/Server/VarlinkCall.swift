import Logging

/// One method call as a handler sees it.
public struct VarlinkCall: Sendable {
    /// The fully qualified method name, e.g. `io.nox.Auth.Authenticate`.
    public let method: String
    /// The call's parameters: always a JSON object (`{}` when the caller sent none).
    public let parameters: JSONValue
    /// Whether the caller accepts several replies (`more: true`); see ``reply(_:)``.
    public let more: Bool
    /// Whether the caller wants no reply at all (`oneway: true`); what the handler returns is dropped.
    public let oneway: Bool
    /// Who is calling, from the socket (`SO_PEERCRED`).
    public let peer: PeerCredentials
    /// A logger with the call's metadata (`ipc.method`, `ipc.peer.uid`, `ipc.peer.pid`).
    public let logger: Logger

    private let sendReply: @Sendable (JSONValue) async throws -> Void

    /// A call; the server makes these, tests may too.
    ///
    /// - Parameters:
    ///   - method: The fully qualified method name.
    ///   - parameters: The parameters, a JSON object.
    ///   - more: Whether the caller accepts several replies.
    ///   - oneway: Whether the caller wants no reply.
    ///   - peer: The caller's credentials.
    ///   - logger: The logger for the call.
    ///   - sendReply: Sends one reply with `continues: true`.
    public init(
        method: String,
        parameters: JSONValue,
        more: Bool = false,
        oneway: Bool = false,
        peer: PeerCredentials,
        logger: Logger,
        sendReply: @escaping @Sendable (JSONValue) async throws -> Void = { _ in }
    ) {
        self.method = method
        self.parameters = parameters
        self.more = more
        self.oneway = oneway
        self.peer = peer
        self.logger = logger
        self.sendReply = sendReply
    }

    /// Sends one reply with `continues: true` to a `more` call; the value the handler returns
    /// is the last reply.
    ///
    /// - Parameter parameters: The reply's parameters, a JSON object.
    /// - Throws: ``VarlinkError/expectedMore`` when the call was made without `more` (so a
    ///   handler that only streams may call this unconditionally), or ``NoxIPCError`` when the
    ///   connection is gone. Does nothing for a `oneway` call.
    public func reply(_ parameters: JSONValue) async throws {
        if oneway { return }
        guard more else { throw VarlinkError.expectedMore }
        try await sendReply(parameters)
    }

    /// Sends one reply with `continues: true` whose parameters are an `Encodable` value.
    ///
    /// - Parameter parameters: The reply's parameters, encoded as a JSON object.
    public func reply(encoding parameters: some Encodable) async throws {
        try await reply(JSONValue(encoding: parameters))
    }

    /// Decodes the parameters as `T`, turning a missing or mistyped field into
    /// `org.varlink.service.InvalidParameter` naming that field.
    ///
    /// - Parameter type: The parameters' type; optional properties may be absent or `null`.
    public func decodeParameters<T: Decodable>(_ type: T.Type = T.self) throws -> T {
        do {
            return try parameters.decode(type)
        } catch let error as DecodingError {
            throw VarlinkError.invalidParameter(error.varlinkParameterName)
        }
    }
}

extension DecodingError {
    /// The top-level parameter a decoding error is about.
    var varlinkParameterName: String {
        switch self {
        case .keyNotFound(let key, let context):
            return (context.codingPath.first ?? key).stringValue
        case .typeMismatch(_, let context), .valueNotFound(_, let context), .dataCorrupted(let context):
            return context.codingPath.first?.stringValue ?? "parameters"
        @unknown default:
            return "parameters"
        }
    }
}
