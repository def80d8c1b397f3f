import Foundation
import GRDB
import HTTPTypes
public import Logging
import NIOConcurrencyHelpers
import NIOPosix
public import NoxRuntime

/// What the nox-files routes and Varlink methods share: the users' sandboxes, their search
/// indexes, the quota rule and the per-user locks.
public final class FilesService: Sendable {
    public let sandboxes: UserSandboxes
    /// `/var/lib/nox/files`: indexes and backups.
    public let stateDirectory: String
    public let configuration: NoxConfiguration.FilesConfiguration
    public let logger: Logger
    let userLocks = KeyedAsyncLock()
    private let indexes = NIOLockedValueBox<[String: FileIndex]>([:])

    public init(sandboxes: UserSandboxes, stateDirectory: String, configuration: NoxConfiguration.FilesConfiguration, logger: Logger) throws {
        self.sandboxes = sandboxes
        self.stateDirectory = stateDirectory
        self.configuration = configuration
        self.logger = logger
        for directory in [stateDirectory, stateDirectory + "/index"] {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        }
    }

    /// Runs blocking filesystem or SQLite work off the cooperative pool (two threads on two
    /// cores: a long walk there would stall every other request).
    func blocking<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await NIOThreadPool.singleton.runIfActive(body)
    }

    /// The caller's sandbox, created on first use.
    func sandbox(for username: String) throws -> SandboxDirectory {
        try sandboxes.open(username)
    }

    /// The user's search index, opened once and kept.
    func index(for username: String) throws -> FileIndex {
        if let index = indexes.withLockedValue({ $0[username] }) { return index }
        let options = FileIndex.Options(maximumContentBytes: configuration.indexMaxFileBytes)
        let opened = try FileIndex(path: indexPath(username), options: options)
        return indexes.withLockedValue { indexes in
            if let existing = indexes[username] { return existing }
            indexes[username] = opened
            return opened
        }
    }

    func indexPath(_ username: String) -> String { stateDirectory + "/index/" + username + ".sqlite" }

    /// Bytes the user may store (`disk_mb`).
    static func quotaBytes(_ principal: Principal) -> Int64 { Int64(principal.quotas.disk_mb) * 1_048_576 }

    /// Refuses a change that would leave the sandbox above the quota. `adding` is the new data,
    /// `freeing` what it replaces. A user already above it (the quota was lowered, or runs wrote
    /// a lot) may still shrink a file, never keep or grow the total.
    static func checkQuota(usage: SandboxUsage, adding: Int64, freeing: Int64, quota: Int64) throws {
        let after = usage.bytes - freeing + adding
        guard after <= quota || adding < freeing else {
            throw APIError(
                .init(code: 507), code: "quota_exceeded",
                message: "This would use \(after) bytes of your \(quota)-byte storage quota; nothing was changed.",
                details: ["quota_bytes": String(quota), "used_bytes": String(usage.bytes)]
            )
        }
    }

    /// Forgets the user entirely: sandbox, index (and backups, through `BackupRoutes`' store).
    func deleteIndex(_ username: String) {
        if let index = indexes.withLockedValue({ $0.removeValue(forKey: username) }) {
            try? index.pool.close()
        }
        for suffix in ["", "-wal", "-shm"] { unlink(indexPath(username) + suffix) }
    }
}
