import Foundation
import GRDB
import HTTPTypes
import Glibc
import NoxRuntime

/// Backups of a user's sandbox (`/var/lib/nox/files/backups/NAME/ID.tar.gz`, recorded in
/// `files.sqlite`) and restores that replace the sandbox in one atomic swap.
public final class BackupService: Sendable {
    let files: FilesService
    let store: BackupStore
    let directory: String

    public init(files: FilesService, database: any DatabaseWriter) throws {
        self.files = files
        self.store = BackupStore(database: database)
        self.directory = files.stateDirectory + "/backups"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
    }

    /// The migrations of `files.sqlite`.
    public static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        BackupStore.registerMigrations(in: &migrator)
        return migrator
    }

    func archivePath(_ record: BackupRecord) -> String { directory + "/" + record.username + "/" + record.id + ".tar.gz" }

    /// Archives the sandbox, records it, and drops the oldest beyond `backups_per_user`.
    func create(username: String) async throws -> BackupRecord {
        let sandbox = try files.sandbox(for: username)
        let keep = files.configuration.backupsPerUser
        return try await files.blocking { [self] in
            try FileManager.default.createDirectory(
                atPath: directory + "/" + username, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            let id = BackupRecord.newID()
            let path = directory + "/" + username + "/" + id + ".tar.gz"
            let created = try BackupArchive.create(from: sandbox, to: path)
            let record = BackupRecord(id: id, username: username, size: created.size, sha256: created.sha256, fileCount: created.fileCount)
            do {
                try store.insert(record)
            } catch {
                unlink(path)
                throw error
            }
            for old in try store.oldest(username: username, beyond: keep) {
                if try store.delete(id: old.id, username: username) { unlink(archivePath(old)) }
            }
            return record
        }
    }

    func list(username: String, page: PageRequest) async throws -> Page<BackupRecord> {
        try await files.blocking { [store] in try store.list(username: username, page: page) }
    }

    func find(id: String, username: String) async throws -> BackupRecord? {
        try await files.blocking { [store] in try store.find(id: id, username: username) }
    }

    func delete(id: String, username: String) async throws -> Bool {
        try await files.blocking { [self] in
            guard let record = try store.find(id: id, username: username), try store.delete(id: id, username: username) else { return false }
            unlink(archivePath(record))
            return true
        }
    }

    /// Every backup of the user (user deletion).
    func deleteAll(username: String) async throws {
        try await files.blocking { [self] in
            for record in try store.deleteAll(username: username) { unlink(archivePath(record)) }
            try? FileManager.default.removeItem(atPath: directory + "/" + username)
        }
    }

    /// Replaces the user's sandbox with the archive's content: unpacked beside it, checked
    /// entry by entry, then swapped in with one `renameat2(RENAME_EXCHANGE)`. Any refusal leaves
    /// the sandbox exactly as it was.
    func restore(username: String, archive path: String, quotaBytes: Int64) async throws -> Int {
        let sandboxes = files.sandboxes
        return try await files.userLocks.withLock(username) {
            try await files.blocking {
                let current = try sandboxes.ensure(username)
                let fresh = try sandboxes.makeStagingSandbox(username)
                do {
                    let target = try SandboxDirectory(path: fresh, options: UserSandboxes.sandboxOptions)
                    let extracted = try BackupArchive.extract(archiveAt: path, into: target, limits: .init(maximumBytes: quotaBytes))
                    try SandboxSwap.exchange(fresh, current)
                    try? SandboxSwap.removeTree(at: fresh)  // now the old sandbox
                    return extracted.fileCount
                } catch {
                    try? SandboxSwap.removeTree(at: fresh)
                    throw error
                }
            }
        }
    }

    /// Where an uploaded archive is staged before a restore.
    func stagingPath() -> String { directory + "/.upload-" + BackupRecord.newID() + ".tar.gz" }
}

extension BackupError: APIErrorConvertible {
    public var apiError: APIError {
        if code == .io { return .internalError }
        return APIError(.init(code: httpStatus), code: apiCode, message: message)
    }
}
