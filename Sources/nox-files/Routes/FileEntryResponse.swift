import Foundation

/// A file or directory as the API shows it: `{path, name, type, size, modified}`.
struct FileEntryResponse: Encodable, Sendable {
    var path: String
    var name: String
    var type: String
    var size: Int64
    var modified: String

    /// Nil for what the API does not show (symlinks, devices, sockets).
    init?(_ entry: SandboxEntry) {
        switch entry.kind {
        case .file: type = "file"
        case .directory: type = "dir"
        case .symlink, .other: return nil
        }
        path = entry.path.string
        name = entry.name
        size = entry.kind == .file ? entry.size : 0
        modified = entry.modified.formatted(.iso8601)
    }
}

/// What a write answers: `{path, size, sha256}`.
struct WrittenFileResponse: Encodable, Sendable {
    var path: String
    var size: Int64
    var sha256: String
}
