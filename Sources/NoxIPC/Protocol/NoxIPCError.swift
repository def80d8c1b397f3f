/// A failure of the Varlink transport itself (not an error reply: that is ``VarlinkError``).
public struct NoxIPCError: Error, Sendable, CustomStringConvertible {
    /// What went wrong, open-ended so that cases can be added.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        private enum Base: String, Sendable, Hashable {
            case connectionFailed, connectionClosed, timeout, frameTooLarge, protocolViolation, clientClosed, invalidInterface
        }
        private let base: Base
        private init(_ base: Base) { self.base = base }

        /// Connecting to the socket failed (see ``NoxIPCError/cause``).
        public static let connectionFailed = Code(.connectionFailed)
        /// The connection closed before the reply came.
        public static let connectionClosed = Code(.connectionClosed)
        /// A reply, a whole frame, or an idle connection took longer than its timeout.
        public static let timeout = Code(.timeout)
        /// A frame was larger than the configured maximum.
        public static let frameTooLarge = Code(.frameTooLarge)
        /// The peer sent something that is not Varlink.
        public static let protocolViolation = Code(.protocolViolation)
        /// The client was closed with ``VarlinkClient/close()``.
        public static let clientClosed = Code(.clientClosed)
        /// An interface definition has no `interface` line, or a method table names a method the IDL lacks.
        public static let invalidInterface = Code(.invalidInterface)

        public var description: String { base.rawValue }
    }

    /// What went wrong.
    public var code: Code
    /// A human-readable explanation.
    public var message: String
    /// The underlying error, if any.
    public var cause: (any Error)?

    /// A transport error.
    ///
    /// - Parameters:
    ///   - code: What went wrong.
    ///   - message: A human-readable explanation.
    ///   - cause: The underlying error, if any.
    public init(_ code: Code, _ message: String, cause: (any Error)? = nil) {
        self.code = code
        self.message = message
        self.cause = cause
    }

    public var description: String {
        if let cause { return "\(code): \(message) (\(cause))" }
        return "\(code): \(message)"
    }
}
