import Foundation
import Testing

@testable import NoxCtl

@Suite struct ConfigurationTests {
    @Test func readsTheConfigFile() throws {
        let directory = try TemporaryDirectory()
        let path = directory.path + "/config.toml"
        try "url = \"https://nox.example.com/\"\nca_file = \"/etc/ca.pem\"\ninsecure = true\n".write(toFile: path, atomically: true, encoding: .utf8)
        let config = try ClientConfiguration.load(file: path)
        #expect(config == ClientConfiguration(url: "https://nox.example.com/", caFile: "/etc/ca.pem", insecure: true))
    }

    @Test func aMissingFileIsEmptyAndATypoIsAnError() throws {
        let directory = try TemporaryDirectory()
        #expect(try ClientConfiguration.load(file: directory.path + "/none.toml") == ClientConfiguration())
        let path = directory.path + "/config.toml"
        try "uri = \"https://x\"\n".write(toFile: path, atomically: true, encoding: .utf8)
        #expect(throws: NoxCtlError.self) { try ClientConfiguration.load(file: path) }
        try "url = 3\n".write(toFile: path, atomically: true, encoding: .utf8)
        #expect(throws: NoxCtlError.self) { try ClientConfiguration.load(file: path) }
        try "url = \"unterminated\n".write(toFile: path, atomically: true, encoding: .utf8)
        #expect(throws: NoxCtlError.self) { try ClientConfiguration.load(file: path) }
    }

    @Test func flagsWinOverTheEnvironmentWhichWinsOverTheFile() {
        let file = ClientConfiguration(url: "https://file", caFile: "/file.pem")
        let environment = ["NOX_URL": "https://env/", "NOX_TOKEN": "nox_env", "NOX_CA_FILE": "/env.pem"]
        let fromEnvironment = ClientConfiguration.resolve(flags: ClientConfiguration(), environment: environment, file: file)
        #expect(fromEnvironment == ClientConfiguration(url: "https://env", caFile: "/env.pem", token: "nox_env"))
        let fromFlags = ClientConfiguration.resolve(
            flags: ClientConfiguration(url: "flag.example", caFile: "/flag.pem", token: "t"), environment: environment, file: file)
        #expect(fromFlags == ClientConfiguration(url: "https://flag.example", caFile: "/flag.pem", token: "t"))
        #expect(ClientConfiguration.resolve(flags: ClientConfiguration(), environment: [:], file: file).url == "https://file")
    }

    @Test func theWrittenFileReadsBack() throws {
        let directory = try TemporaryDirectory()
        let path = directory.path + "/config.toml"
        let config = ClientConfiguration(url: "https://a\"b", caFile: "/x\\y.pem")
        try config.fileText.write(toFile: path, atomically: true, encoding: .utf8)
        #expect(try ClientConfiguration.load(file: path) == config)
    }

    @Test func configPathsFollowXDG() {
        #expect(ConfigPaths(environment: ["XDG_CONFIG_HOME": "/x", "HOME": "/h"]).configFile == "/x/nox/config.toml")
        #expect(ConfigPaths(environment: ["HOME": "/h"]).credentialsFile == "/h/.config/nox/credentials.json")
    }
}

/// A directory removed when the value goes away.
final class TemporaryDirectory {
    let path: String

    init() throws {
        var template = Array((NSTemporaryDirectory() as NSString).appendingPathComponent("noxctl-test-XXXXXX").utf8CString)
        guard mkdtemp(&template) != nil else { throw NoxCtlError("mkdtemp failed") }
        path = String(decoding: template.dropLast().map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }
}

@Suite struct ConfigFileParserTests {
    @Test func readsStringsBooleansIntegersAndComments() throws {
        let text = "# noxctl\nurl = \"https://a.example/\\u00e9\\t\\\"q\\\"\"  # trailing\n\tca_file='C:\\raw'\r\ninsecure = false\nn = 1_000\n\n"
        let parsed = try ConfigFileParser.parse(text)
        #expect(parsed.map(\.key) == ["url", "ca_file", "insecure", "n"])
        #expect(parsed.map(\.value) == [.string("https://a.example/é\t\"q\""), .string("C:\\raw"), .bool(false), .integer(1000)])
    }

    @Test(arguments: ["[table]\n", "url\n", "url = \"open\n", "url = \"a\" b\n", "url = [1]\n", "a = 1\na = 2\n", "url = \"\\q\"\n", "bad key = 1\n"])
    func refusesWhatItDoesNotUnderstand(text: String) {
        #expect(throws: ConfigFileParser.ParseError.self) { try ConfigFileParser.parse(text) }
    }
}
