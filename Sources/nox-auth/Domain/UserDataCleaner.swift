import Logging
import NoxIPC

/// What happens to a user's data elsewhere in Nox once nox-auth has deleted the user: nox-files
/// removes the sandbox, its index and backups (`io.nox.Files.DeleteUserData`).
///
/// Best effort by design: the deletion in nox-auth has happened and is what the admin asked for;
/// if nox-files is not installed or fails, the log says so and its data can be removed later
/// (an admin repeats the call with varlinkctl, or nox-files' state is cleaned by hand).
public struct UserDataCleaner: Sendable {
    let filesSocketPath: String?
    let logger: Logger

    /// - Parameter filesSocketPath: nox-files' Varlink socket; nil cleans nothing (tests).
    public init(filesSocketPath: String?, logger: Logger) {
        self.filesSocketPath = filesSocketPath
        self.logger = logger
    }

    public static func none(logger: Logger) -> UserDataCleaner { UserDataCleaner(filesSocketPath: nil, logger: logger) }

    func userDeleted(_ username: String) async {
        guard let filesSocketPath else { return }
        let client = VarlinkClient(
            path: filesSocketPath,
            configuration: VarlinkClientConfiguration(connectTimeout: .seconds(5), callTimeout: .seconds(60)),
            logger: logger
        )
        do {
            _ = try await client.call("io.nox.Files.DeleteUserData", parameters: ["username": .string(username)])
            await client.close()
            logger.info("Deleted the user's files", metadata: ["nox.target_user": .string(username)])
        } catch {
            await client.close()
            logger.warning(
                "Could not delete the user's files in nox-files; remove them later",
                metadata: ["nox.target_user": .string(username), "error": "\(error)"]
            )
        }
    }
}
