import CNoxFiles
import Foundation
import Glibc

/// The directory moves of a restore: the archive is unpacked into a fresh directory beside the
/// sandbox (`users/NAME/restore-XXXXXX`), which then trades places with the sandbox in one
/// `renameat2(RENAME_EXCHANGE)` — so a client sees the old sandbox or the new one, never a
/// missing or half-restored one — and the old tree, now under the restore name, is removed.
///
/// The paths are the daemon's own (trusted); what is *inside* the trees is not, so removal
/// acts through descriptors and never follows a link planted there.
public enum SandboxSwap {
    /// Creates a new, empty, uniquely named directory `prefix` + 6 random characters in
    /// `parent` (`mkdtemp`, mode 0700) and returns its path.
    /// - Parameter reference: a directory whose owner, group and mode the new one takes — the
    ///   sandbox it will replace, so that after the exchange it is as accessible as before.
    public static func makeFreshDirectory(in parent: String, prefix: String = "restore-", like reference: String? = nil) throws(BackupError)
        -> String
    {
        var template = Array((parent + "/" + prefix + "XXXXXX").utf8CString)
        guard let made = mkdtemp(&template) else {
            throw BackupError(.io, "The restore directory cannot be created.", detail: "\(parent): \(String(cString: strerror(errno)))")
        }
        let path = String(cString: made)
        guard let reference else { return path }
        do {
            let attributes = try FileManager.default.attributesOfItem(atPath: reference)  // lstat: a link is not followed
            guard let owner = attributes[.ownerAccountID] as? NSNumber, let group = attributes[.groupOwnerAccountID] as? NSNumber,
                let mode = attributes[.posixPermissions] as? NSNumber
            else { throw BackupError(.io, "The restore directory cannot be created.", detail: "no owner or mode for \(reference)") }
            let fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
            defer { if fd >= 0 { close(fd) } }
            guard fd >= 0, fchown(fd, owner.uint32Value, group.uint32Value) == 0, fchmod(fd, mode_t(mode.uint32Value & 0o7777)) == 0 else {
                throw BackupError(.io, "The restore directory cannot be created.", detail: "\(path): \(String(cString: strerror(errno)))")
            }
            return path
        } catch {
            rmdir(path)
            throw error as? BackupError ?? BackupError(.io, "The restore directory cannot be created.", detail: "\(reference): \(error)")
        }
    }

    /// Swaps the directories (or any two entries) at `a` and `b` atomically. Both must exist,
    /// on one file system. Syncs the parent directories so the swap survives a power loss.
    public static func exchange(_ a: String, _ b: String) throws(BackupError) {
        guard nox_renameat2(AT_FDCWD, a, AT_FDCWD, b, nox_RENAME_EXCHANGE) == 0 else {
            throw BackupError(.io, "The sandbox cannot be replaced.", detail: "exchange \(a) and \(b): \(String(cString: strerror(errno)))")
        }
        for parent in Set([parentPath(of: a), parentPath(of: b)]) {
            let fd = open(parent, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
            guard fd >= 0 else { continue }
            _ = fsync(fd)
            close(fd)
        }
    }

    /// Removes the tree at `path` without following symlinks: its parent is opened as a
    /// `SandboxDirectory` and the last name removed with `remove(_:recursive: true)`, which
    /// unlinks a link found anywhere inside (or at `path` itself) rather than entering it.
    /// A missing `path` is not an error (a cleanup may be run twice).
    public static func removeTree(at path: String) throws(BackupError) {
        let parent = parentPath(of: path)
        let name = path.lastIndex(of: "/").map { String(path[path.index(after: $0)...]) } ?? path
        guard !name.isEmpty, name != ".", name != ".." else {
            throw BackupError(.io, "The directory cannot be removed.", detail: "not a removable path: \(path)")
        }
        do {
            let directory = try SandboxDirectory(path: parent)
            try directory.remove(SandboxPath.root.appendingTrusted(name), recursive: true)
        } catch {
            if error.code == .notFound { return }
            throw BackupError(.io, "The directory cannot be removed.", detail: "\(path): \(error.description)")
        }
    }

    /// The directory part of a path: `a/b` → `a`, `/a` → `/`, `a` → `.`.
    private static func parentPath(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        return slash == path.startIndex ? "/" : String(path[..<slash])
    }
}
