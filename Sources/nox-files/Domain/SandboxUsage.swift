/// Bytes and files in a sandbox: what the `disk_mb` quota is measured against.
public struct SandboxUsage: Codable, Sendable, Equatable {
    public var bytes: Int64
    public var files: Int

    public init(bytes: Int64 = 0, files: Int = 0) {
        self.bytes = bytes
        self.files = files
    }
}

extension SandboxDirectory {
    /// Walks the whole sandbox (regular files' apparent sizes; links and special files count nothing).
    /// A walk rather than a kept total: runs change the sandbox behind the daemon's back.
    public func usage() throws(SandboxError) -> SandboxUsage {
        var usage = SandboxUsage()
        for entry in try list(.root, recursive: true) where entry.kind == .file {
            usage.bytes += entry.size
            usage.files += 1
        }
        return usage
    }
}
