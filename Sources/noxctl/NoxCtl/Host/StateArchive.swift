import Glibc

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// The format of `noxctl backup` archives: a gzip-compressed pax tar whose first entry is
/// `NOX-BACKUP.json` (what it is: format, version, which directories it holds), then the
/// directories' contents under their paths without the leading `/` (`var/lib/nox/auth/…`),
/// and last `NOX-BACKUP-SHA256.json`, the SHA-256 of every file. `restore` reads the whole
/// archive and checks all of it against these before it changes anything, so a damaged,
/// truncated or foreign archive is refused with nothing changed.
public enum StateArchive {
    public static let format = "nox-backup"
    public static let version = 1
    public static let manifestName = "NOX-BACKUP.json"
    public static let sumsName = "NOX-BACKUP-SHA256.json"
    /// Everything Nox keeps: every daemon's state directory and the users' sandboxes
    /// (`/var/lib/nox`, including daemons added later), and its configuration, keys and
    /// credentials (`/etc/nox`).
    public static let defaultRoots = ["/var/lib/nox", "/etc/nox"]

    /// What the first entry says.
    public struct Manifest: Codable, Sendable, Equatable {
        public var format: String
        public var version: Int
        public var createdAt: String
        public var hostname: String
        public var roots: [String]
        public var creator: String

        enum CodingKeys: String, CodingKey {
            case format, version, hostname, roots, creator
            case createdAt = "created_at"
        }
    }

    /// What the last entry says: every file's SHA-256 by archive name, and how many data entries there are.
    public struct Sums: Codable, Sendable, Equatable {
        public var entries: Int
        public var files: [String: String]
    }

    /// `/var/lib/nox` → `var/lib/nox`.
    static func archivePrefix(_ root: String) -> String {
        String(root.drop { $0 == "/" })
    }

    /// Whether `name` is a safe name beneath one of `roots`: relative, no empty, `.` or `..`
    /// components — so that it can never land outside the directory it is restored into.
    static func isAcceptable(_ name: String, roots: [String]) -> Bool {
        guard !name.hasPrefix("/"), !name.contains("\\"), name.utf8.count <= 4096 else { return false }
        let components = name.split(separator: "/", omittingEmptySubsequences: false)
        guard !components.contains(where: { $0.isEmpty || $0 == "." || $0 == ".." }) else { return false }
        return roots.contains { root in
            let prefix = archivePrefix(root)
            return name == prefix || name.hasPrefix(prefix + "/")
        }
    }

    /// The root a name belongs to and the rest of it (`""` for the root itself).
    static func split(_ name: String, roots: [String]) -> (root: String, rest: String)? {
        for root in roots {
            let prefix = archivePrefix(root)
            if name == prefix { return (root, "") }
            if name.hasPrefix(prefix + "/") { return (root, String(name.dropFirst(prefix.count + 1))) }
        }
        return nil
    }

    /// A root is acceptable only as an absolute, normalized path that is not `/` or a system directory.
    static func isAcceptableRoot(_ root: String) -> Bool {
        guard root.hasPrefix("/"), root.count > 1, !root.hasSuffix("/") else { return false }
        let components = root.split(separator: "/", omittingEmptySubsequences: false).dropFirst()
        return !components.contains { $0.isEmpty || $0 == "." || $0 == ".." } && components.count >= 2
    }

    /// libarchive converts names through the locale's character set; in the C locale a
    /// non-ASCII name fails. noxctl is a one-shot process, so setting it once is enough.
    static func useUTF8Names() {
        setlocale(LC_CTYPE, "C.UTF-8")
    }
}
