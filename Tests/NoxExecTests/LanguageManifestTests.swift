import Foundation
import Testing

@testable import NoxExec

@Suite("Language manifests")
struct LanguageManifestTests {
    /// The source tree's packaging/languages.d, found from this file's path.
    static let shippedDirectory = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("packaging/languages.d").path

    static let shippedFiles = ((try? FileManager.default.contentsOfDirectory(atPath: shippedDirectory)) ?? [])
        .filter { $0.hasSuffix(".toml") }.sorted()

    static let minimal = """
        name = "demo"
        file_extension = "dm"
        run = ["/bin/sh", "{source}"]
        """

    @Test("Nox ships python, bash, sh, c, node, ruby, perl, go, rust and java")
    func shippedSet() {
        let names = Self.shippedFiles.map { String($0.dropLast(".toml".count)) }
        #expect(Set(names) == ["python", "bash", "sh", "c", "node", "ruby", "perl", "go", "rust", "java"])
    }

    @Test("Every shipped manifest parses, is named after its file, and names only absolute programs", arguments: shippedFiles)
    func shippedManifestParses(file: String) throws {
        let path = Self.shippedDirectory + "/" + file
        let manifest = try LanguageManifest.parse(try String(contentsOfFile: path, encoding: .utf8), file: path)
        #expect(manifest.name + ".toml" == file)
        #expect(manifest.requiredExecutables.allSatisfy { $0.hasPrefix("/") })
        #expect(manifest.versionCommand != nil)
    }

    @Test("The shipped JIT runtimes turn MemoryDenyWriteExecute off; the others keep it")
    func jitRuntimes() throws {
        for file in Self.shippedFiles {
            let path = Self.shippedDirectory + "/" + file
            let manifest = try LanguageManifest.parse(try String(contentsOfFile: path, encoding: .utf8), file: path)
            #expect(manifest.memoryDenyWriteExecute == !["node", "java"].contains(manifest.name), "\(file)")
        }
    }

    @Test("Defaults: main.<ext> as source name, MemoryDenyWriteExecute on, no aliases, the run program required")
    func defaults() throws {
        let manifest = try LanguageManifest.parse(Self.minimal, file: "demo.toml")
        #expect(manifest.sourceName == "main.dm")
        #expect(manifest.memoryDenyWriteExecute)
        #expect(manifest.aliases.isEmpty && manifest.environment.isEmpty && manifest.requires.isEmpty)
        #expect(manifest.tasksMin == nil && manifest.compileTimeoutSeconds == nil && manifest.versionCommand == nil)
        #expect(manifest.requiredExecutables == ["/bin/sh"])
    }

    @Test("Every key is read: a full manifest keeps each value")
    func fullManifest() throws {
        let text = """
            name = "java"
            aliases = ["jdk", "j+_-9"]
            file_extension = "java"
            source_name = "Main.java"
            requires = ["/usr/bin/java"]
            version = ["/usr/bin/java", "-version"]
            compile = ["/usr/bin/javac", "-d", "{binary}", "{source}"]
            run = ["/usr/bin/java", "-cp", "{binary}", "Main"]
            memory_deny_write_execute = false
            tasks_min = 64
            compile_timeout_s = 60
            environment = { JAVA_HOME = "/usr/lib/jvm/default", _X1 = "" }
            """
        let manifest = try LanguageManifest.parse(text, file: "java.toml")
        #expect(manifest.aliases == ["jdk", "j+_-9"])
        #expect(manifest.sourceName == "Main.java")
        #expect(manifest.versionCommand == ["/usr/bin/java", "-version"])
        #expect(manifest.compile?.arguments == ["/usr/bin/javac", "-d", "{binary}", "{source}"])
        #expect(!manifest.memoryDenyWriteExecute && manifest.tasksMin == 64 && manifest.compileTimeoutSeconds == 60)
        #expect(manifest.environment == ["JAVA_HOME": "/usr/lib/jvm/default", "_X1": ""])
        #expect(manifest.requiredExecutables == ["/usr/bin/java", "/usr/bin/javac"])
    }

    /// A bad manifest, the key its error must name (nil: the file as a whole) and words the message must hold.
    struct BadCase: Sendable, CustomTestStringConvertible {
        let toml: String
        let key: String?
        let words: String
        var testDescription: String { "\(key ?? "file"): \(words)" }
    }

    static let badCases: [BadCase] = [
        BadCase(toml: minimal + "\nnmae = \"x\"", key: "nmae", words: "is not a manifest key"),
        BadCase(toml: "name = 3\nfile_extension = \"x\"\nrun = [\"/bin/sh\"]", key: "name", words: "must be a string"),
        BadCase(toml: "name = \"Python\"\nfile_extension = \"py\"\nrun = [\"/bin/sh\"]", key: "name", words: "does not match"),
        BadCase(
            toml: "name = \"\(String(repeating: "a", count: 33))\"\nfile_extension = \"py\"\nrun = [\"/bin/sh\"]", key: "name",
            words: "does not match"),
        BadCase(toml: "file_extension = \"py\"\nrun = [\"/bin/sh\"]", key: "name", words: "is required"),
        BadCase(toml: "name = \"demo\"\nfile_extension = \"dm\"", key: "run", words: "is required"),
        BadCase(toml: "name = \"demo\"\nfile_extension = \".py\"\nrun = [\"/bin/sh\"]", key: "file_extension", words: "no dot"),
        BadCase(toml: "name = \"demo\"\nfile_extension = \"dm\"\nrun = []", key: "run", words: "must not be empty"),
        BadCase(toml: "name = \"demo\"\nfile_extension = \"dm\"\nrun = \"/bin/sh {source}\"", key: "run", words: "array of strings"),
        BadCase(toml: "name = \"demo\"\nfile_extension = \"dm\"\nrun = [\"/bin/sh\", 1]", key: "run", words: "array of strings"),
        BadCase(
            toml: "name = \"demo\"\nfile_extension = \"dm\"\nrun = [\"python3\", \"{source}\"]", key: "run",
            words: "\"python3\" is not an absolute path"),
        BadCase(toml: minimal + "\nrequires = [\"usr/bin/python3\"]", key: "requires", words: "\"usr/bin/python3\" is not an absolute path"),
        BadCase(toml: minimal + "\nversion = [\"python3\", \"--version\"]", key: "version", words: "not an absolute path"),
        BadCase(
            toml: "name = \"demo\"\nfile_extension = \"dm\"\nrun = [\"/bin/sh\", \"{sourec}\"]", key: "run", words: "unknown placeholder {sourec}"),
        BadCase(toml: minimal + "\ncompile = [\"/usr/bin/cc\", \"-o{bin}\"]", key: "compile", words: "unknown placeholder {bin}"),
        BadCase(toml: "name = \"demo\"\nfile_extension = \"dm\"\nrun = [\"{binary}\"]", key: "run", words: "no compile"),
        BadCase(toml: minimal + "\ncompile_timeout_s = 10", key: "compile_timeout_s", words: "no compile"),
        BadCase(toml: minimal + "\ntasks_min = \"64\"", key: "tasks_min", words: "must be an integer"),
        BadCase(toml: minimal + "\ntasks_min = 0", key: "tasks_min", words: "outside 1...100000"),
        BadCase(toml: minimal + "\nmemory_deny_write_execute = \"no\"", key: "memory_deny_write_execute", words: "true or false"),
        BadCase(toml: minimal + "\naliases = [\"Py\"]", key: "aliases", words: "\"Py\" does not match"),
        BadCase(toml: minimal + "\naliases = [\"demo\"]", key: "aliases", words: "own name"),
        BadCase(toml: minimal + "\naliases = [\"d\", \"d\"]", key: "aliases", words: "listed twice"),
        BadCase(toml: minimal + "\nsource_name = \"../main.dm\"", key: "source_name", words: "without /"),
        BadCase(toml: minimal + "\nenvironment = { \"1X\" = \"a\" }", key: "environment", words: "not a valid variable name"),
        BadCase(toml: minimal + "\nenvironment = { X = 1 }", key: "environment", words: "X must be a string"),
        BadCase(toml: minimal + "\nenvironment = [\"X=1\"]", key: "environment", words: "must be a table"),
        BadCase(toml: "name = \"demo\nrun = [", key: nil, words: "not valid TOML"),
    ]

    @Test("A bad manifest's error names the file and the key at fault", arguments: badCases)
    func badManifest(_ bad: BadCase) {
        #expect {
            _ = try LanguageManifest.parse(bad.toml, file: "/etc/nox/languages.d/bad.toml")
        } throws: { error in
            guard let error = error as? LanguageManifestError else { return false }
            let prefix = "/etc/nox/languages.d/bad.toml: " + (bad.key.map { $0 + ": " } ?? "")
            return error.file == "/etc/nox/languages.d/bad.toml" && error.key == bad.key
                && error.description.hasPrefix(prefix) && error.message.contains(bad.words)
        }
    }

    @Test("Braces that are not a {word} are text, and the version command's are never placeholders")
    func literalBraces() throws {
        let text = """
            name = "demo"
            file_extension = "dm"
            run = ["/bin/sh", "{source}"]
            compile = ["/usr/bin/perl", "-e", "sub { 1 }", "{}", "{ source}", "x{"]
            version = ["/usr/bin/dpkg-query", "--showformat=${Version}", "--show", "dash"]
            """
        let manifest = try LanguageManifest.parse(text, file: "demo.toml")
        #expect(manifest.compile?.render([.source: "/s"]) == ["/usr/bin/perl", "-e", "sub { 1 }", "{}", "{ source}", "x{"])
        #expect(manifest.versionCommand?[1] == "--showformat=${Version}")
    }
}
