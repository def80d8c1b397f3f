import Foundation
import TOMLKit

/// Starter files for a sandbox: a directory `templates.d/NAME/` holding the files as they are to
/// appear, plus `template.toml` (`description`, `language`), which is not copied.
public struct SandboxTemplate: Sendable, Equatable {
    public var name: String
    public var description: String
    public var language: String?
    /// Relative path (`/`-separated) → contents, sorted by path.
    public var files: [(path: String, contents: [UInt8])]

    public static let manifestName = "template.toml"
    /// Bounds on one template, so a broken directory cannot flood a sandbox.
    public static let maximumFiles = 200
    public static let maximumBytes = 8 << 20

    public static func == (lhs: SandboxTemplate, rhs: SandboxTemplate) -> Bool {
        lhs.name == rhs.name && lhs.description == rhs.description && lhs.language == rhs.language
            && lhs.files.map(\.path) == rhs.files.map(\.path) && lhs.files.map(\.contents) == rhs.files.map(\.contents)
    }

    public var totalBytes: Int { files.reduce(0) { $0 + $1.contents.count } }

    /// Template names: `^[a-z][a-z0-9_-]{0,63}$` (directory names, and a URL segment).
    public static func isValidName(_ text: String) -> Bool {
        let bytes = Array(text.utf8)
        guard let first = bytes.first, bytes.count <= 64, (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(first) else { return false }
        return bytes.allSatisfy {
            (UInt8(ascii: "a")...UInt8(ascii: "z")).contains($0) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0)
                || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: "-")
        }
    }

    /// Reads the template in `directory` (named after it). Symlinks and special files are skipped:
    /// a template is plain files.
    /// - Throws: `TemplateError` for a missing or invalid manifest, or a template over the bounds.
    public static func load(directory: String) throws -> SandboxTemplate {
        let name = (directory as NSString).lastPathComponent
        let manifestPath = directory + "/" + manifestName
        guard let text = try? String(contentsOfFile: manifestPath, encoding: .utf8) else {
            throw TemplateError("\(manifestPath): missing or unreadable")
        }
        let table: TOMLTable
        do { table = try TOMLTable(string: text) } catch { throw TemplateError("\(manifestPath): not valid TOML: \(error)") }
        guard let description = table["description"]?.string else { throw TemplateError("\(manifestPath): description is required") }
        var files: [(path: String, contents: [UInt8])] = []
        var total = 0
        let manager = FileManager.default
        let paths = ((try? manager.subpathsOfDirectory(atPath: directory)) ?? []).sorted()
        for path in paths where path != manifestName {
            let full = directory + "/" + path
            guard let attributes = try? manager.attributesOfItem(atPath: full), attributes[.type] as? FileAttributeType == .typeRegular,
                let data = manager.contents(atPath: full)
            else { continue }
            total += data.count
            files.append((path, Array(data)))
            guard files.count <= maximumFiles, total <= maximumBytes else {
                throw TemplateError("\(directory): more than \(maximumFiles) files or \(maximumBytes) bytes")
            }
        }
        return SandboxTemplate(name: name, description: description, language: table["language"]?.string, files: files)
    }
}

/// Why a template directory was skipped.
public struct TemplateError: Error, CustomStringConvertible, Sendable {
    public var description: String
    init(_ description: String) { self.description = description }
}
