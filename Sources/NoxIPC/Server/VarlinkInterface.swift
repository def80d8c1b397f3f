/// An interface a ``VarlinkServer`` serves: its IDL text, its methods, and who may call them.
public struct VarlinkInterface: Sendable {
    /// The interface name, read from the IDL's `interface` line, e.g. `io.nox.Auth`.
    public let name: String
    /// The IDL text, served by `org.varlink.service.GetInterfaceDescription`.
    public let description: String
    /// Who may call which method.
    public let authorization: VarlinkAuthorization
    let methods: [String: VarlinkMethod]
    let declaredMethods: Set<String>

    /// An interface.
    ///
    /// A method the IDL declares but `methods` lacks is answered with
    /// `org.varlink.service.MethodNotImplemented`.
    ///
    /// - Parameters:
    ///   - description: The IDL text, e.g. `VarlinkInterfaces.ioNoxAuth`.
    ///   - methods: The implemented methods; each must be declared in the IDL.
    ///   - authorization: Who may call which method; by default root and this process's user.
    /// - Throws: ``NoxIPCError`` (``NoxIPCError/Code/invalidInterface``) when the IDL has no
    ///   `interface` line, or a method is not declared in it or is given twice.
    public init(
        description: String,
        methods: [VarlinkMethod],
        authorization: VarlinkAuthorization = .rootAndSelf
    ) throws {
        let idl = try VarlinkIDL(parsing: description)
        var table: [String: VarlinkMethod] = [:]
        for method in methods {
            guard idl.methodNames.contains(method.name) else {
                throw NoxIPCError(.invalidInterface, "method \(method.name) is not declared in interface \(idl.interfaceName)")
            }
            guard table.updateValue(method, forKey: method.name) == nil else {
                throw NoxIPCError(.invalidInterface, "method \(method.name) of \(idl.interfaceName) is given twice")
            }
        }
        self.name = idl.interfaceName
        self.description = description
        self.authorization = authorization
        self.methods = table
        self.declaredMethods = idl.methodNames
    }
}
