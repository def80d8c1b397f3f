/// A Varlink error reply: a fully qualified error name and its parameters.
///
/// Method handlers throw it to reply with an error (declared in the interface's IDL, or one
/// of the standard `org.varlink.service` errors below); ``VarlinkClient`` throws it when a
/// call is answered with an error.
public struct VarlinkError: Error, Sendable, Hashable {
    /// The fully qualified error name, e.g. `io.nox.Auth.InvalidToken`.
    public var name: String
    /// The error's parameters: a JSON object (`{}` when it has none).
    public var parameters: JSONValue

    /// An error reply.
    ///
    /// - Parameters:
    ///   - name: The fully qualified error name, e.g. `io.nox.Auth.UserNotFound`.
    ///   - parameters: Its parameters, a JSON object.
    public init(name: String, parameters: JSONValue = .emptyObject) {
        self.name = name
        self.parameters = parameters
    }

    /// An error reply whose parameters are an `Encodable` value.
    ///
    /// - Parameters:
    ///   - name: The fully qualified error name.
    ///   - parameters: The parameters, encoded as a JSON object.
    public init(name: String, encoding parameters: some Encodable) throws {
        self.init(name: name, parameters: try JSONValue(encoding: parameters))
    }
}

extension VarlinkError {
    /// `org.varlink.service.InterfaceNotFound`: the service has no such interface.
    public static func interfaceNotFound(_ interface: String) -> VarlinkError {
        VarlinkError(name: Name.interfaceNotFound, parameters: ["interface": .string(interface)])
    }

    /// `org.varlink.service.MethodNotFound`: the interface has no such method.
    public static func methodNotFound(_ method: String) -> VarlinkError {
        VarlinkError(name: Name.methodNotFound, parameters: ["method": .string(method)])
    }

    /// `org.varlink.service.MethodNotImplemented`: the interface declares the method, but the service does not implement it.
    public static func methodNotImplemented(_ method: String) -> VarlinkError {
        VarlinkError(name: Name.methodNotImplemented, parameters: ["method": .string(method)])
    }

    /// `org.varlink.service.InvalidParameter`: the named parameter is missing, of the wrong type or has a bad value.
    public static func invalidParameter(_ parameter: String) -> VarlinkError {
        VarlinkError(name: Name.invalidParameter, parameters: ["parameter": .string(parameter)])
    }

    /// `org.varlink.service.PermissionDenied`: the caller may not call this method.
    public static var permissionDenied: VarlinkError { VarlinkError(name: Name.permissionDenied) }

    /// `org.varlink.service.ExpectedMore`: the method must be called with `more: true`.
    public static var expectedMore: VarlinkError { VarlinkError(name: Name.expectedMore) }

    /// `io.nox.InternalError`: the method failed in a way that is not the caller's fault.
    ///
    /// The server replies with it when a handler throws anything but a ``VarlinkError``
    /// (the real error is logged, never sent).
    public static var internalError: VarlinkError { VarlinkError(name: Name.internalError) }

    /// The names of the standard errors (`org.varlink.service`'s, and Nox's generic internal error).
    public enum Name {
        public static let interfaceNotFound = "org.varlink.service.InterfaceNotFound"
        public static let methodNotFound = "org.varlink.service.MethodNotFound"
        public static let methodNotImplemented = "org.varlink.service.MethodNotImplemented"
        public static let invalidParameter = "org.varlink.service.InvalidParameter"
        public static let permissionDenied = "org.varlink.service.PermissionDenied"
        public static let expectedMore = "org.varlink.service.ExpectedMore"
        public static let internalError = "io.nox.InternalError"
    }
}

extension VarlinkError: CustomStringConvertible {
    public var description: String {
        if parameters == .emptyObject || parameters == .null { return name }
        return "\(name) \(parameters.jsonString)"
    }
}
