/// One method of an interface: its name, whether it streams, and its handler.
public struct VarlinkMethod: Sendable {
    /// Whether the method replies once or several times.
    public struct Mode: Sendable, Hashable {
        private enum Base: Sendable, Hashable { case single, more, optionalMore }
        private let base: Base
        private init(_ base: Base) { self.base = base }

        /// Replies once. A call with `more: true` gets that one reply (without `continues`),
        /// as the Varlink spec and systemd allow.
        public static let single = Mode(.single)
        /// Streams replies with ``VarlinkCall/reply(_:)``: a call without `more: true` is
        /// refused with `org.varlink.service.ExpectedMore`.
        public static let more = Mode(.more)
        /// Streams when called with `more: true` and replies once otherwise; the handler checks
        /// ``VarlinkCall/more``.
        public static let optionalMore = Mode(.optionalMore)

        var requiresMore: Bool { base == .more }
    }

    /// The handler of a call: returns the (last) reply's parameters, a JSON object, or throws
    /// ``VarlinkError`` for an error reply.
    public typealias Handler = @Sendable (VarlinkCall) async throws -> JSONValue

    /// The method's short name, e.g. `Authenticate`.
    public let name: String
    /// Whether it replies once or several times.
    public let mode: Mode
    let handler: Handler

    /// A method working on JSON values.
    ///
    /// - Parameters:
    ///   - name: The short method name as in the IDL, e.g. `Authenticate`.
    ///   - mode: Whether it replies once (default) or several times.
    ///   - handler: Handles one call.
    public init(_ name: String, mode: Mode = .single, handler: @escaping Handler) {
        self.name = name
        self.mode = mode
        self.handler = handler
    }

    /// A method with typed parameters and reply.
    ///
    /// Parameters that fail to decode are answered with `org.varlink.service.InvalidParameter`
    /// naming the field.
    ///
    /// - Parameters:
    ///   - name: The short method name as in the IDL.
    ///   - parameters: The parameters' type (use ``VarlinkEmpty`` for none).
    ///   - mode: Whether it replies once (default) or several times.
    ///   - handler: Handles one call and returns its (last) reply (``VarlinkEmpty`` for `-> ()`).
    public init<Parameters: Decodable & Sendable, Reply: Encodable & Sendable>(
        _ name: String,
        parameters: Parameters.Type,
        mode: Mode = .single,
        handler: @escaping @Sendable (Parameters, VarlinkCall) async throws -> Reply
    ) {
        self.init(name, mode: mode) { call in
            let reply = try await handler(call.decodeParameters(Parameters.self), call)
            return try JSONValue(encoding: reply)
        }
    }
}

/// The parameters or reply of a method that has none: `()` in the IDL, `{}` on the wire.
public struct VarlinkEmpty: Codable, Sendable, Hashable {
    public init() {}
}
