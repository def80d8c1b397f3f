import Logging

/// Routes calls to interfaces and methods, checks access, and turns outcomes into replies.
///
/// Serves `org.varlink.service` itself (`GetInfo`, `GetInterfaceDescription`, open to every caller).
struct VarlinkDispatcher: Sendable {
    /// Sends one reply on the call's connection.
    typealias Send = @Sendable (VarlinkReplyMessage) async throws -> Void

    static let serviceInterfaceName = "org.varlink.service"

    private let interfaces: [String: VarlinkInterface]

    init(info: VarlinkServiceInfo, interfaces served: [VarlinkInterface]) throws {
        var names = [Self.serviceInterfaceName]
        var descriptions: [String: String] = [:]
        for interface in served {
            guard interface.name != Self.serviceInterfaceName, descriptions[interface.name] == nil else {
                throw NoxIPCError(.invalidInterface, "interface \(interface.name) is given twice")
            }
            names.append(interface.name)
            descriptions[interface.name] = interface.description
        }
        let service = try Self.serviceInterface(info: info, interfaceNames: names, descriptions: descriptions)
        self.interfaces = Dictionary(uniqueKeysWithValues: ([service] + served).map { ($0.name, $0) })
    }

    /// Handles one call, sending its replies (none for `oneway`) through `send`.
    ///
    /// Throws only when a reply cannot be written, that is when the connection is gone.
    func handle(_ message: VarlinkCallMessage, peer: PeerCredentials, logger: Logger, send: @escaping Send) async throws {
        let oneway = message.oneway ?? false
        let more = !oneway && (message.more ?? false)
        var logger = logger
        logger[metadataKey: "ipc.method"] = "\(message.method)"
        let reply: Send = { reply in
            if oneway { return }
            do {
                try await send(reply)
            } catch {
                throw ReplyFailed(cause: error)
            }
        }
        do {
            let (interface, method) = try route(message.method)
            guard interface.authorization.allows(method: method.name, peer: peer) else {
                logger.notice("Refused a Varlink call: permission denied")
                throw VarlinkError.permissionDenied
            }
            if message.upgrade == true { throw VarlinkError.invalidParameter("upgrade") }
            if method.mode.requiresMore && !more && !oneway { throw VarlinkError.expectedMore }
            let parameters: JSONValue
            switch message.parameters {
            case nil, .null?: parameters = .emptyObject
            case .object?: parameters = message.parameters!
            default: throw VarlinkError.invalidParameter("parameters")
            }
            logger.debug("Handling a Varlink call")
            let call = VarlinkCall(
                method: message.method,
                parameters: parameters,
                more: more,
                oneway: oneway,
                peer: peer,
                logger: logger
            ) { parameters in
                try await reply(VarlinkReplyMessage(parameters: parameters, continues: true))
            }
            let result = try await method.handler(call)
            switch result {
            case .null: try await reply(VarlinkReplyMessage(parameters: .emptyObject))
            case .object: try await reply(VarlinkReplyMessage(parameters: result))
            default:
                logger.error("A Varlink method returned a reply that is not a JSON object", metadata: ["ipc.reply": "\(result)"])
                try await reply(VarlinkReplyMessage(error: .internalError))
            }
        } catch let error as VarlinkError {
            logger.debug("Varlink call answered with an error", metadata: ["ipc.error": "\(error.name)"])
            try await reply(VarlinkReplyMessage(error: error))
        } catch let error as ReplyFailed {
            throw error.cause
        } catch is CancellationError {
            logger.debug("Varlink call cancelled")
            try await reply(VarlinkReplyMessage(error: .internalError))
        } catch {
            logger.error("Varlink method failed with an unexpected error", metadata: ["error": "\(String(reflecting: error))"])
            try await reply(VarlinkReplyMessage(error: .internalError))
        }
    }

    /// The interface and method a fully qualified method name names.
    private func route(_ qualifiedName: String) throws(VarlinkError) -> (VarlinkInterface, VarlinkMethod) {
        guard let dot = qualifiedName.lastIndex(of: "."), dot != qualifiedName.startIndex else {
            throw .interfaceNotFound(qualifiedName)
        }
        let interfaceName = String(qualifiedName[..<dot])
        let methodName = String(qualifiedName[qualifiedName.index(after: dot)...])
        guard let interface = interfaces[interfaceName] else { throw .interfaceNotFound(interfaceName) }
        guard let method = interface.methods[methodName] else {
            throw interface.declaredMethods.contains(methodName)
                ? .methodNotImplemented(qualifiedName) : .methodNotFound(qualifiedName)
        }
        return (interface, method)
    }

    /// `org.varlink.service`, which every Varlink service provides.
    private static func serviceInterface(
        info: VarlinkServiceInfo,
        interfaceNames: [String],
        descriptions: [String: String]
    ) throws -> VarlinkInterface {
        var descriptions = descriptions
        descriptions[serviceInterfaceName] = VarlinkInterfaces.orgVarlinkService
        let getInfo: JSONValue = [
            "vendor": .string(info.vendor),
            "product": .string(info.product),
            "version": .string(info.version),
            "url": .string(info.url),
            "interfaces": .array(interfaceNames.map(JSONValue.string)),
        ]
        return try VarlinkInterface(
            description: VarlinkInterfaces.orgVarlinkService,
            methods: [
                VarlinkMethod("GetInfo") { _ in getInfo },
                VarlinkMethod("GetInterfaceDescription") { [descriptions] call in
                    guard let name = call.parameters["interface"]?.stringValue else {
                        throw VarlinkError.invalidParameter("interface")
                    }
                    guard let description = descriptions[name] else { throw VarlinkError.interfaceNotFound(name) }
                    return ["description": .string(description)]
                },
            ],
            authorization: .allowAll
        )
    }
}

/// A reply could not be written: the connection is gone.
private struct ReplyFailed: Error {
    var cause: any Error
}
