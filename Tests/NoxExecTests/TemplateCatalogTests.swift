import Foundation
import Logging
import NoxTestSupport
import Testing

@testable import NoxExec

@Suite("Sandbox templates")
struct TemplateCatalogTests {
    static let shipped = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("packaging/templates.d").path

    @Test("The shipped templates load, with a description, and without their manifest among the files")
    func shippedTemplates() throws {
        let templates = TemplateCatalog(directories: [Self.shipped], logger: Logger(label: "test")).all()
        #expect(templates.map(\.name) == ["c-project", "python-project"])
        for template in templates {
            #expect(!template.description.isEmpty)
            #expect(!template.files.isEmpty)
            #expect(!template.files.map(\.path).contains(SandboxTemplate.manifestName))
        }
    }

    @Test("The administrator's template replaces ours of the same name; one without a manifest is skipped")
    func adminWins() throws {
        let temporary = try TemporaryDirectory()
        defer { temporary.remove() }
        let ours = temporary.path + "/ours", theirs = temporary.path + "/theirs"
        for (directory, text) in [(ours + "/demo", "ours"), (theirs + "/demo", "theirs")] {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            try "description = \"\(text)\"\n".write(toFile: directory + "/template.toml", atomically: true, encoding: .utf8)
            try text.write(toFile: directory + "/file.txt", atomically: true, encoding: .utf8)
        }
        try FileManager.default.createDirectory(atPath: theirs + "/broken", withIntermediateDirectories: true)
        let catalog = TemplateCatalog(directories: [ours, theirs], logger: Logger(label: "test"))
        #expect(catalog.all().map(\.name) == ["demo"])
        #expect(catalog.find("demo")?.description == "theirs")
        #expect(catalog.find("demo")?.files.map(\.path) == ["file.txt"])
        #expect(catalog.find("broken") == nil)
        #expect(catalog.find("../ours") == nil)
    }
}
