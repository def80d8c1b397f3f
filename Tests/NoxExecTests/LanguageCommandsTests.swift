import Foundation
import Testing

@testable import NoxExec

@Suite("Language commands")
struct LanguageCommandsTests {
    static func language(_ extra: String, run: String = #"["/usr/bin/python3", "-B", "{source}"]"#) throws -> Language {
        let text = "name = \"demo\"\nfile_extension = \"dm\"\nrun = \(run)\n" + extra
        return Language(manifest: try LanguageManifest.parse(text, file: "demo.toml"), version: nil)
    }

    @Test("args follow run as separate items, spaces, quotes, ; and placeholders left exactly as sent")
    func argsStayLiteral() throws {
        let args = ["a b", "\"quoted\" 'single'", "; rm -rf / #", "$(id)", "{source}", "", "-o{binary}"]
        let commands = try Self.language("").commands(source: "/code/main.dm", binary: "/tmp/p", workdir: "/w", args: args)
        #expect(commands.run == ["/usr/bin/python3", "-B", "/code/main.dm"] + args)
        #expect(commands.compile == nil)
    }

    @Test("Placeholders are replaced inside larger items (-o{binary}), several to an item, in compile and run")
    func substitutionInsideItems() throws {
        let language = try Self.language(
            #"compile = ["/usr/bin/gcc", "-o{binary}", "{source}", "-I{workdir}/include", "{workdir}:{source}"]"#,
            run: #"["{binary}", "--in={workdir}"]"#
        )
        let commands = language.commands(source: "/code/main.c", binary: "/tmp/nox-program", workdir: "/sandbox", args: ["x"])
        #expect(commands.compile == ["/usr/bin/gcc", "-o/tmp/nox-program", "/code/main.c", "-I/sandbox/include", "/sandbox:/code/main.c"])
        #expect(commands.run == ["/tmp/nox-program", "--in=/sandbox", "x"])
    }

    @Test("A path that itself holds {binary} is substituted once, not again")
    func singlePass() throws {
        let language = try Self.language(#"compile = ["/usr/bin/gcc", "-o", "{binary}", "{source}"]"#, run: #"["{binary}"]"#)
        let commands = language.commands(source: "/code/{binary}.c", binary: "/tmp/{source}", workdir: "/w", args: [])
        #expect(commands.compile == ["/usr/bin/gcc", "-o", "/tmp/{source}", "/code/{binary}.c"])
        #expect(commands.run == ["/tmp/{source}"])
    }

    @Test("GET /api/languages items carry name, version (null when unknown), aliases and file_extension")
    func apiItem() throws {
        let manifest = try LanguageManifest.parse(
            "name = \"python\"\naliases = [\"py\"]\nfile_extension = \"py\"\nrun = [\"/usr/bin/python3\", \"{source}\"]", file: "python.toml")
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let known = String(decoding: try encoder.encode(Language(manifest: manifest, version: "3.11.2").apiItem), as: UTF8.self)
        #expect(known == #"{"aliases":["py"],"file_extension":"py","name":"python","version":"3.11.2"}"#)
        let unknown = String(decoding: try encoder.encode(Language(manifest: manifest, version: nil).apiItem), as: UTF8.self)
        #expect(unknown == #"{"aliases":["py"],"file_extension":"py","name":"python","version":null}"#)
    }
}
