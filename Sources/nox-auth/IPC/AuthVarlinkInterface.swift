import Foundation
import Glibc
import NoxIPC
import NoxRuntime

/// `io.nox.Auth`: what the other Nox daemons ask nox-auth over Varlink.
///
/// Access: the socket is `root:nox 0660`, and each call is checked again against the peer's
/// uid (`SO_PEERCRED`): root, nox-auth itself, and the members of group `nox` (the daemons).
enum AuthVarlinkInterface {
    struct TokenParameters: Decodable, Sendable { var token: String }
    struct PrincipalReply: Encodable, Sendable { var principal: Principal }
    struct KeysReply: Encodable, Sendable { var keys: [JSONWebKey] }
    struct UserParameters: Decodable, Sendable { var username: String }
    struct AuditParameters: Decodable, Sendable {
        var user: String?
        var action: String
        var target: String?
        var outcome: String
        var request_id: String?
        var source_ip: String?
    }

    static func make(service: AuthService) throws -> VarlinkInterface {
        try VarlinkInterface(
            description: VarlinkInterfaces.ioNoxAuth,
            methods: [
                VarlinkMethod("Authenticate", parameters: TokenParameters.self) { parameters, _ in
                    do {
                        return PrincipalReply(principal: try await service.principal(forBearer: parameters.token))
                    } catch let error as APIError where error.statusCode == 401 {
                        throw VarlinkError(name: "io.nox.Auth.InvalidToken", parameters: ["reason": .string(error.message)])
                    }
                },
                VarlinkMethod("GetPublicKeys", parameters: VarlinkEmpty.self) { _, _ in
                    KeysReply(keys: service.signingKeys.jwks)
                },
                VarlinkMethod("GetUser", parameters: UserParameters.self) { parameters, _ in
                    guard let user = try await service.users.find(parameters.username) else {
                        throw VarlinkError(name: "io.nox.Auth.UserNotFound", parameters: ["username": .string(parameters.username)])
                    }
                    return PrincipalReply(principal: service.principal(of: user))
                },
                VarlinkMethod("RecordAudit", parameters: AuditParameters.self) { parameters, _ in
                    guard let outcome = AuditEvent.Outcome(rawValue: parameters.outcome) else {
                        throw VarlinkError.invalidParameter("outcome")
                    }
                    guard !parameters.action.isEmpty, parameters.action.utf8.count <= 64 else {
                        throw VarlinkError.invalidParameter("action")
                    }
                    try await service.audit.record(
                        user: parameters.user, action: parameters.action, target: parameters.target, outcome: outcome,
                        requestID: parameters.request_id, sourceIP: parameters.source_ip, now: Clock.now()
                    )
                    return VarlinkEmpty()
                },
            ],
            authorization: .users(VarlinkPeers.noxDaemons())
        )
    }
}
