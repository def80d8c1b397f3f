import HTTPTypes
import Foundation
import NoxFiles
import NoxRuntime

/// Writes a template's files into a sandbox through `SandboxDirectory` (no symlink or `..` can
/// lead out), as `ExecService.prepare` writes a request's files: all or nothing on conflicts, and
/// never past the user's disk quota.
struct TemplateWriter {
    let sandbox: String
    let quotaBytes: Int64

    /// - Returns: the written paths, relative to the sandbox root.
    /// - Throws: `409 file_exists` naming the first file that exists (unless `overwrite`, and always
    ///   for a directory in the way), `507 quota_exceeded`, or the sandbox's own errors.
    func apply(_ template: SandboxTemplate, into directory: SandboxPath, overwrite: Bool) throws -> [String] {
        let root = try SandboxDirectory(path: sandbox, options: .init(fileMode: 0o660, directoryMode: 0o770))
        var targets: [(path: SandboxPath, contents: [UInt8])] = []
        var replacedBytes: Int64 = 0
        for file in template.files {
            let path = try SandboxPath(directory.isRoot ? file.path : directory.string + "/" + file.path)
            do {
                let entry = try root.stat(path)
                guard overwrite, entry.kind == .file else {
                    throw APIError(
                        .conflict, code: "file_exists", message: "\(path.string) exists already; send overwrite: true to replace it.",
                        details: ["path": path.string])
                }
                replacedBytes += entry.size
            } catch let error as SandboxError where error.code == .notFound {
                // Free to write.
            }
            targets.append((path, file.contents))
        }
        let used = try root.list(try SandboxPath(""), recursive: true).filter { $0.kind == .file }.reduce(Int64(0)) { $0 + $1.size }
        if used - replacedBytes + Int64(template.totalBytes) > quotaBytes {
            throw APIError(.init(code: 507), code: "quota_exceeded", message: "The template's files would take you over your storage quota.")
        }
        for target in targets { _ = try root.writeFile(target.path, contents: target.contents) }
        return targets.map(\.path.string)
    }
}
