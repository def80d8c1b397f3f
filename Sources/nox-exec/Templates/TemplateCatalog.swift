import Foundation
import Logging

/// The templates in `templates.d`: ours (`/usr/share/nox/templates.d`), then the administrator's
/// (`/etc/nox/templates.d`), which wins by name. Read on each request: a handful of small
/// directories, and an admin's new template is offered at once without a restart.
public struct TemplateCatalog: Sendable {
    public static let defaultDirectories = ["/usr/share/nox/templates.d", "/etc/nox/templates.d"]
    public let directories: [String]
    let logger: Logger

    public init(directories: [String] = TemplateCatalog.defaultDirectories, logger: Logger) {
        self.directories = directories
        self.logger = logger
    }

    /// Every valid template, sorted by name; invalid ones are logged and skipped.
    public func all() -> [SandboxTemplate] {
        var found: [String: SandboxTemplate] = [:]
        for directory in directories {
            let names = ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []).filter(SandboxTemplate.isValidName)
            for name in names {
                if let template = load(directory + "/" + name) { found[name] = template }
            }
        }
        return found.values.sorted { $0.name < $1.name }
    }

    /// The template called `name`, the administrator's if both have one.
    public func find(_ name: String) -> SandboxTemplate? {
        guard SandboxTemplate.isValidName(name) else { return nil }
        for directory in directories.reversed() {
            var isDirectory: ObjCBool = false
            let path = directory + "/" + name
            if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue, let template = load(path) {
                return template
            }
        }
        return nil
    }

    func load(_ path: String) -> SandboxTemplate? {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue else { return nil }
        do {
            return try SandboxTemplate.load(directory: path)
        } catch {
            logger.warning("Template skipped", metadata: ["nox.problem": "\(error)"])
            return nil
        }
    }
}
