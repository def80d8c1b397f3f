import Foundation
import Glibc
import Logging
import NoxIPC
import NoxRuntime

/// `io.nox.Files`: what the other daemons ask nox-files — a sandbox for a run (nox-exec), usage
/// (nox-metrics), clean-up after a user is deleted (nox-auth).
///
/// Access: the socket is `root:nox 0660`; each call is checked against the peer's uid too.
enum FilesVarlinkInterface {
    struct UserParameters: Decodable, Sendable { var username: String }
    struct PathReply: Encodable, Sendable { var path: String }
    struct UsageReply: Encodable, Sendable { var usage: UserUsage }
    struct UsageListReply: Encodable, Sendable { var users: [UserUsage] }
    struct DeletedReply: Encodable, Sendable { var deleted: Bool }
    struct UserUsage: Encodable, Sendable {
        var username: String
        var bytes: Int64
        var files: Int
    }

    static func make(service: FilesService, backups: BackupService) throws -> VarlinkInterface {
        try VarlinkInterface(
            description: VarlinkInterfaces.ioNoxFiles,
            methods: [
                VarlinkMethod("EnsureSandbox", parameters: UserParameters.self) { parameters, _ in
                    let username = try checked(parameters.username)
                    return PathReply(path: try await service.blocking { try service.sandboxes.ensure(username) })
                },
                VarlinkMethod("GetUsage", parameters: UserParameters.self) { parameters, _ in
                    let username = try checked(parameters.username)
                    return UsageReply(usage: try await usage(of: username, service: service))
                },
                VarlinkMethod("ListUsage", parameters: VarlinkEmpty.self) { _, _ in
                    var users: [UserUsage] = []
                    for username in service.sandboxes.usernames() {
                        users.append(try await usage(of: username, service: service))
                    }
                    return UsageListReply(users: users)
                },
                VarlinkMethod("DeleteUserData", parameters: UserParameters.self) { parameters, _ in
                    let username = try checked(parameters.username)
                    let deleted = try await service.userLocks.withLock(username) {
                        try await backups.deleteAll(username: username)
                        service.deleteIndex(username)
                        return try await service.blocking { try service.sandboxes.delete(username) }
                    }
                    service.logger.notice("Deleted the user's files", metadata: ["nox.user": .string(username)])
                    return DeletedReply(deleted: deleted)
                },
            ],
            authorization: .users(VarlinkPeers.noxDaemons())
        )
    }

    static func checked(_ username: String) throws -> String {
        guard UserSandboxes.isValidUsername(username) else {
            throw VarlinkError(name: "io.nox.Files.InvalidUsername", parameters: ["username": .string(username)])
        }
        return username
    }

    static func usage(of username: String, service: FilesService) async throws -> UserUsage {
        let usage = try await service.blocking { () throws -> SandboxUsage in
            guard FileManager.default.fileExists(atPath: service.sandboxes.sandboxPath(username)) else { return SandboxUsage() }
            return try service.sandbox(for: username).usage()
        }
        return UserUsage(username: username, bytes: usage.bytes, files: usage.files)
    }
}
