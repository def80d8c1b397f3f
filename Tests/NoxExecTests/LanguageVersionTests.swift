import Foundation
import Testing

@testable import NoxExec

@Suite("Language versions")
struct LanguageVersionTests {
    @Test(
        "The version is the output's first dotted number",
        arguments: [
            ("Python 3.11.2\n", "3.11.2"),
            ("v20.20.2", "20.20.2"),
            ("openjdk version \"17.0.15\" 2025-04-15\nOpenJDK Runtime Environment", "17.0.15"),
            ("GNU bash, version 5.2.15(1)-release (x86_64-pc-linux-gnu)", "5.2.15"),
            ("This is perl 5, version 36, subversion 0 (v5.36.0)", "5.36.0"),
            ("0.5.12-2", "0.5.12"),
            ("go version go1.19.8 linux/amd64", "1.19.8"),
            ("foo 1.2.3", "1.2.3"),
            ("release 12. then 1..2 and 7.x, finally 4.0", "4.0"),
        ]
    )
    func findsVersion(output: String, version: String) {
        #expect(LanguageVersion.find(in: output) == version)
    }

    @Test("Output without a dotted number has no version", arguments: ["", "version 12", "1.", ".5", "v٣.١ (Arabic-Indic digits)"])
    func noVersion(output: String) {
        #expect(LanguageVersion.find(in: output) == nil)
    }

    @Test("The real /usr/bin/python3 reports the version python3 --version prints", .enabled(if: LanguageFixture.exists("/usr/bin/python3")))
    func realPython() throws {
        let fixture = try LanguageFixture()
        defer { fixture.remove() }
        try fixture.write("python.toml", in: 0, LanguageFixture.manifest("python", version: #"["/usr/bin/python3", "--version"]"#))
        let version = try #require(fixture.catalog().resolve("python")?.version)
        let (output, status) = try BoundedCommand(["/usr/bin/python3", "--version"], environment: [:], timeout: .seconds(5)).finish()
        #expect(status == .exited(0))
        #expect(output.hasPrefix("Python \(version)"))
        #expect(version.hasPrefix("3."))
    }

    @Test("A fake toolchain printing foo 1.2.3 on stderr has version 1.2.3")
    func fakeToolchain() throws {
        let fixture = try LanguageFixture()
        defer { fixture.remove() }
        let script = try fixture.script("fake-version", "echo 'foo 1.2.3' >&2")
        try fixture.write("fake.toml", in: 0, LanguageFixture.manifest("fake", version: "[\"\(script)\", \"--version\"]"))
        #expect(fixture.catalog().resolve("fake")?.version == "1.2.3")
    }

    @Test("A version command that fails, prints no version or cannot start leaves the language offered with version nil")
    func failingVersionCommand() throws {
        let fixture = try LanguageFixture()
        defer { fixture.remove() }
        let failing = try fixture.script("failing", "echo 'tool 2.0.1'; exit 3")
        let silent = try fixture.script("silent", "echo 'no number here'")
        try fixture.write("a.toml", in: 0, LanguageFixture.manifest("a", version: "[\"\(failing)\"]"))
        try fixture.write("b.toml", in: 0, LanguageFixture.manifest("b", version: "[\"\(silent)\"]"))
        try fixture.write("c.toml", in: 0, LanguageFixture.manifest("c", version: "[\"\(fixture.path)/missing\"]"))
        let catalog = fixture.catalog()
        #expect(catalog.available().map(\.name) == ["a", "b", "c"])
        #expect(catalog.available().allSatisfy { $0.version == nil })
        #expect(catalog.problems.isEmpty)
    }

    @Test("A version command that sleeps 30 s is cut off within about 6 s, its child killed too", .timeLimit(.minutes(1)))
    func hangingVersionCommand() throws {
        let fixture = try LanguageFixture()
        defer { fixture.remove() }
        // The child inherits the pipe: without the group kill, it would keep it open for 30 s.
        let script = try fixture.script("hang", "echo 'hang 9.9.9'\nsleep 30 &\necho $! > \(fixture.path)/child.pid\nwait")
        try fixture.write("hang.toml", in: 0, LanguageFixture.manifest("hang", version: "[\"\(script)\"]"))
        try fixture.write("quick.toml", in: 0, LanguageFixture.manifest("quick", version: #"["/bin/sh", "-c", "echo quick 1.0"]"#))
        let clock = ContinuousClock()
        let start = clock.now
        let catalog = fixture.catalog()
        let elapsed = start.duration(to: clock.now)
        #expect(elapsed < .milliseconds(6500))
        #expect(elapsed >= .milliseconds(4900))
        #expect(catalog.resolve("hang") != nil && catalog.resolve("hang")?.version == nil)
        #expect(catalog.resolve("quick")?.version == "1.0")

        let child = try String(contentsOfFile: fixture.path + "/child.pid", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(try LanguageFixture.waitUntilGone(pid: child))
    }
}
