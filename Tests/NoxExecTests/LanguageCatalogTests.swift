import Foundation
import Logging
import NoxTestSupport
import Testing

@testable import NoxExec

/// Two manifest directories (index 0 plays /usr/share/nox/languages.d, 1 plays /etc/nox/languages.d)
/// and a folder for fake toolchains, all in one temporary directory.
struct LanguageFixture {
    let temporary: TemporaryDirectory
    var path: String { temporary.path }

    init() throws {
        temporary = try TemporaryDirectory()
        for folder in ["d0", "d1", "bin"] {
            try FileManager.default.createDirectory(atPath: temporary.path + "/" + folder, withIntermediateDirectories: false)
        }
    }

    func remove() { temporary.remove() }

    func directory(_ index: Int) -> String { path + "/d\(index)" }

    func write(_ file: String, in index: Int, _ text: String) throws {
        try text.write(toFile: directory(index) + "/" + file, atomically: true, encoding: .utf8)
    }

    /// An executable `/bin/sh` script; returns its path.
    func script(_ name: String, _ body: String) throws -> String {
        let file = path + "/bin/" + name
        try "#!/bin/sh\n\(body)\n".write(toFile: file, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: file)
        return file
    }

    func catalog() -> LanguageCatalog {
        LanguageCatalog(directories: [directory(0), directory(1)], logger: Self.logger)
    }

    static let logger = Logger(label: "nox-exec.languages.test") { _ in SwiftLogNoOpLogHandler() }

    static func manifest(
        _ name: String, aliases: [String] = [], run: String = #"["/bin/sh", "{source}"]"#, version: String? = nil, extra: String = ""
    ) -> String {
        var text = "name = \"\(name)\"\nfile_extension = \"x\"\nrun = \(run)\n"
        if !aliases.isEmpty { text += "aliases = [\(aliases.map { "\"\($0)\"" }.joined(separator: ", "))]\n" }
        if let version { text += "version = \(version)\n" }
        return text + extra
    }

    static func exists(_ path: String) -> Bool { LanguageCatalog.isExecutableFile(path) }

    /// Whether the process is gone (or a zombie waiting for its reaper) within 2 s.
    static func waitUntilGone(pid: String) throws -> Bool {
        for _ in 0..<200 {
            guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8) else { return true }
            if let end = stat.lastIndex(of: ")"), stat[end...].dropFirst(2).first == "Z" { return true }
            Thread.sleep(forTimeInterval: 0.01)
        }
        return false
    }
}

@Suite("Language catalog")
struct LanguageCatalogTests {
    @Test("A manifest in the later directory replaces the earlier one with the same name entirely")
    func overrideByName() throws {
        let fixture = try LanguageFixture()
        defer { fixture.remove() }
        try fixture.write("python.toml", in: 0, LanguageFixture.manifest("python", aliases: ["py", "python3"], extra: "tasks_min = 8\n"))
        try fixture.write("local-python.toml", in: 1, LanguageFixture.manifest("python", aliases: ["py"], run: #"["/bin/sh", "-e", "{source}"]"#))
        let catalog = fixture.catalog()
        let python = try #require(catalog.resolve("python"))
        #expect(python.manifest.run.arguments == ["/bin/sh", "-e", "{source}"])
        #expect(python.manifest.tasksMin == nil)
        #expect(catalog.resolve("py")?.name == "python")
        #expect(catalog.resolve("python3") == nil)
        #expect(catalog.available().count == 1 && catalog.problems.isEmpty)
    }

    @Test("An empty file or a link to /dev/null in the later directory masks the earlier file of that file name")
    func masking() throws {
        let fixture = try LanguageFixture()
        defer { fixture.remove() }
        try fixture.write("node.toml", in: 0, LanguageFixture.manifest("node"))
        try fixture.write("ruby.toml", in: 0, LanguageFixture.manifest("ruby"))
        try fixture.write("perl.toml", in: 0, LanguageFixture.manifest("perl"))
        try fixture.write("node.toml", in: 1, "")
        try FileManager.default.createSymbolicLink(atPath: fixture.directory(1) + "/ruby.toml", withDestinationPath: "/dev/null")
        let catalog = fixture.catalog()
        #expect(catalog.available().map(\.name) == ["perl"])
        #expect(catalog.problems.isEmpty)
    }

    @Test("Names and aliases resolve to the same language; unknown names and other spellings do not")
    func aliasResolution() throws {
        let fixture = try LanguageFixture()
        defer { fixture.remove() }
        try fixture.write("node.toml", in: 0, LanguageFixture.manifest("node", aliases: ["js", "javascript"]))
        let catalog = fixture.catalog()
        #expect(catalog.resolve("node")?.name == "node")
        #expect(catalog.resolve("js")?.name == "node")
        #expect(catalog.resolve("javascript")?.name == "node")
        #expect(catalog.resolve("JS") == nil && catalog.resolve("ruby") == nil && catalog.resolve("") == nil)
    }

    @Test("Of two equal aliases the file read first keeps it; the later one's is dropped and reported")
    func aliasCollision() throws {
        let fixture = try LanguageFixture()
        defer { fixture.remove() }
        try fixture.write("a.toml", in: 0, LanguageFixture.manifest("alpha", aliases: ["x", "a"]))
        try fixture.write("b.toml", in: 0, LanguageFixture.manifest("beta", aliases: ["x", "b"]))
        try fixture.write("c.toml", in: 1, LanguageFixture.manifest("gamma", aliases: ["a", "g"]))
        let catalog = fixture.catalog()
        #expect(catalog.resolve("x")?.name == "alpha" && catalog.resolve("a")?.name == "alpha")
        #expect(catalog.resolve("beta")?.manifest.aliases == ["b"])
        #expect(catalog.resolve("gamma")?.apiItem.aliases == ["g"])
        #expect(catalog.problems.count == 2)
        #expect(catalog.problems.contains { $0.hasPrefix(fixture.directory(0) + "/b.toml: aliases: \"x\"") && $0.contains("alpha") })
        #expect(catalog.problems.contains { $0.hasPrefix(fixture.directory(1) + "/c.toml: aliases: \"a\"") })
    }

    @Test("An alias equal to another language's name is dropped, even when the alias was read first")
    func nameBeatsAlias() throws {
        let fixture = try LanguageFixture()
        defer { fixture.remove() }
        try fixture.write("a.toml", in: 0, LanguageFixture.manifest("c", aliases: ["cpp", "gcc"]))
        try fixture.write("cpp.toml", in: 1, LanguageFixture.manifest("cpp"))
        let catalog = fixture.catalog()
        #expect(catalog.resolve("cpp")?.name == "cpp")
        #expect(catalog.resolve("gcc")?.name == "c")
        #expect(catalog.problems == [fixture.directory(0) + "/a.toml: aliases: \"cpp\" already names cpp; alias dropped"])
    }

    @Test("A language whose required executable (or its own program) is missing is not offered, and that is no problem")
    func missingToolchain() throws {
        let fixture = try LanguageFixture()
        defer { fixture.remove() }
        try fixture.write("ruby.toml", in: 0, LanguageFixture.manifest("ruby", extra: "requires = [\"\(fixture.path)/bin/ruby\"]\n"))
        try fixture.write("rust.toml", in: 0, LanguageFixture.manifest("rust", run: "[\"\(fixture.path)/bin/rustc\", \"{source}\"]"))
        try fixture.write("dir.toml", in: 0, LanguageFixture.manifest("dir", extra: "requires = [\"\(fixture.path)/bin\"]\n"))
        try fixture.write("sh.toml", in: 0, LanguageFixture.manifest("sh", aliases: ["dash"]))
        let catalog = fixture.catalog()
        #expect(catalog.available().map(\.name) == ["sh"])
        #expect(catalog.resolve("ruby") == nil && catalog.resolve("rust") == nil && catalog.resolve("dir") == nil)
        #expect(catalog.problems.isEmpty)
    }

    @Test("Bad files and a second file with a taken name are skipped and reported; the rest load, sorted by name")
    func badFilesAreSkipped() throws {
        let fixture = try LanguageFixture()
        defer { fixture.remove() }
        try fixture.write("zeta.toml", in: 0, LanguageFixture.manifest("zeta"))
        try fixture.write("bad.toml", in: 0, "name = \"bad\"\nfile_extension = \"b\"\nrun = [\"sh\"]\n")
        try fixture.write("eta.toml", in: 0, LanguageFixture.manifest("eta"))
        try fixture.write("eta2.toml", in: 0, LanguageFixture.manifest("eta", run: #"["/bin/sh", "-x", "{source}"]"#))
        try fixture.write("notes.txt", in: 0, "not a manifest")
        let catalog = fixture.catalog()
        #expect(catalog.available().map(\.name) == ["eta", "zeta"])
        #expect(catalog.resolve("eta")?.manifest.run.arguments == ["/bin/sh", "{source}"])
        #expect(
            catalog.problems == [
                fixture.directory(0) + "/bad.toml: run: \"sh\" is not an absolute path",
                fixture.directory(0) + "/eta2.toml: name: \"eta\" is already defined by \(fixture.directory(0))/eta.toml; file skipped",
            ])
    }

    @Test("reload() picks up new manifests; missing directories are fine")
    func reload() throws {
        let fixture = try LanguageFixture()
        defer { fixture.remove() }
        let catalog = LanguageCatalog(directories: [fixture.directory(0), fixture.path + "/absent"], logger: LanguageFixture.logger)
        #expect(catalog.available().isEmpty && catalog.problems.isEmpty)
        try fixture.write("sh.toml", in: 0, LanguageFixture.manifest("sh"))
        catalog.reload()
        #expect(catalog.available().map(\.name) == ["sh"])
    }

    @Test("On this machine the shipped catalog offers exactly the languages whose toolchains are installed")
    func shippedCatalog() throws {
        let catalog = LanguageCatalog(directories: [LanguageManifestTests.shippedDirectory], logger: LanguageFixture.logger)
        #expect(catalog.problems.isEmpty)
        var expected: [String] = []
        for file in LanguageManifestTests.shippedFiles {
            let path = LanguageManifestTests.shippedDirectory + "/" + file
            let manifest = try LanguageManifest.parse(try String(contentsOfFile: path, encoding: .utf8), file: path)
            if manifest.requiredExecutables.allSatisfy(LanguageFixture.exists) { expected.append(manifest.name) }
        }
        #expect(catalog.available().map(\.name) == expected.sorted())
        #expect(catalog.available().allSatisfy { $0.version != nil })
        if LanguageFixture.exists("/usr/bin/python3") { #expect(catalog.resolve("py")?.name == "python") }
    }
}
