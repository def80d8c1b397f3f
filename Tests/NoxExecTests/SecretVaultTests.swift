import Foundation
import GRDB
import NoxRuntime
import NoxTestSupport
import Testing

@testable import NoxExec

@Suite("Secrets")
struct SecretVaultTests {
    final class Fixture {
        let temporary: TemporaryDirectory
        let vault: SecretVault
        var path: String { temporary.path + "/secrets.sqlite" }

        init() throws {
            temporary = try TemporaryDirectory()
            vault = try SecretVault(path: temporary.path + "/secrets.sqlite", key: AESGCM.Key.random())
        }

        deinit { temporary.remove() }
    }

    @Test func storesEncryptedAndResolvesOnlyForItsOwner() throws {
        let fixture = try Fixture()
        let value = "s3cr3t-\(UUID().uuidString)\n"
        let (created, isNew) = try fixture.vault.put(username: "alice", name: "API_TOKEN", value: value)
        #expect(isNew && created.name == "API_TOKEN" && created.created_at == created.updated_at)
        let (replaced, isNewAgain) = try fixture.vault.put(username: "alice", name: "API_TOKEN", value: value, now: Date().addingTimeInterval(5))
        #expect(!isNewAgain && replaced.created_at == created.created_at && replaced.updated_at != created.updated_at)
        #expect(try fixture.vault.resolve(username: "alice", names: ["API_TOKEN"]) == ["API_TOKEN": value])
        let error = try #require(throws: APIError.self) { try fixture.vault.resolve(username: "bob", names: ["API_TOKEN"]) }
        #expect(error.code == "unknown_secret" && error.details?["field"] == "secrets" && error.details?["name"] == "API_TOKEN")
        #expect(try fixture.vault.list(username: "bob", page: PageRequest()).items.isEmpty)
        #expect(try fixture.vault.list(username: "alice", page: PageRequest()).items == [replaced])
        // Not in the database file in the clear (checkpointed, so the WAL is in it too).
        try fixture.vault.pool.writeWithoutTransaction { try $0.checkpoint(.truncate) }
        let raw = try Data(contentsOf: URL(fileURLWithPath: fixture.path))
        #expect(raw.range(of: Data(value.utf8.dropLast())) == nil)
        #expect(try fixture.vault.delete(username: "alice", name: "API_TOKEN"))
        #expect(try !fixture.vault.delete(username: "alice", name: "API_TOKEN"))
    }

    @Test func aRowMovedToAnotherUserOrNameDoesNotDecrypt() throws {
        let fixture = try Fixture()
        _ = try fixture.vault.put(username: "alice", name: "TOKEN", value: "alice's")
        try fixture.vault.pool.write { try $0.execute(sql: "UPDATE secrets SET username = 'mallory'") }
        #expect(throws: SecretError.self) { try fixture.vault.resolve(username: "mallory", names: ["TOKEN"]) }
        try fixture.vault.pool.write { try $0.execute(sql: "UPDATE secrets SET username = 'alice', name = 'OTHER'") }
        #expect(throws: SecretError.self) { try fixture.vault.resolve(username: "alice", names: ["OTHER"]) }
    }

    @Test func anotherKeyCannotOpenTheValues() throws {
        let fixture = try Fixture()
        _ = try fixture.vault.put(username: "alice", name: "TOKEN", value: "v")
        let other = try SecretVault(path: fixture.path, key: AESGCM.Key.random())
        #expect(throws: SecretError.self) { try other.resolve(username: "alice", names: ["TOKEN"]) }
    }

    @Test func limitsHowManyAUserHasAndPagesThroughThem() throws {
        let fixture = try Fixture()
        for index in 0..<SecretName.maximumPerUser { _ = try fixture.vault.put(username: "alice", name: String(format: "S%03d", index), value: "x") }
        let error = try #require(throws: APIError.self) { try fixture.vault.put(username: "alice", name: "ONE_MORE", value: "x") }
        #expect(error.code == "secret_limit_reached" && error.statusCode == 409)
        _ = try fixture.vault.put(username: "alice", name: "S000", value: "replacing is fine")
        var names: [String] = []
        var page = PageRequest(limit: 30)
        while true {
            let result = try fixture.vault.list(username: "alice", page: page)
            names += result.items.map(\.name)
            guard let cursor = result.next_cursor else { break }
            page.cursor = String(String(decoding: Base64URL.decode(cursor)!, as: UTF8.self).dropFirst(5))
        }
        #expect(names == (0..<SecretName.maximumPerUser).map { String(format: "S%03d", $0) })
    }

    @Test(arguments: ["A", "_X", "API_TOKEN", "K" + String(repeating: "9", count: 63)])
    func acceptsEnvironmentNames(name: String) { #expect(SecretName.isValid(name)) }

    @Test(arguments: [
        "", "a", "lower", "1ABC", "A-B", "A B", "PATH", "HOME", "USER", "SHELL", "LOGNAME", "LD_PRELOAD", "NOX_X",
        "K" + String(repeating: "9", count: 64), "É",
    ])
    func refusesOtherNames(name: String) {
        #expect(!SecretName.isValid(name))
        #expect(throws: APIError.self) { try SecretName.check(name) }
    }

    @Test func refusesValuesTooLargeOrWithNUL() throws {
        try SecretName.check(value: String(repeating: "x", count: SecretName.maximumValueBytes))
        #expect(throws: APIError.self) { try SecretName.check(value: String(repeating: "x", count: SecretName.maximumValueBytes + 1)) }
        #expect(throws: APIError.self) { try SecretName.check(value: "a\u{0}b") }
    }

    @Test func aMissingOrMalformedKeyIsAClearErrorAtStart() throws {
        let missing = try #require(throws: SecretError.self) { try SecretKey.load(credentialsDirectory: nil) }
        #expect(missing.description.contains("secrets.key"))
        let temporary = try TemporaryDirectory()
        defer { temporary.remove() }
        let absent = try #require(throws: SecretError.self) { try SecretKey.load(credentialsDirectory: temporary.path) }
        #expect(absent.description.contains("/etc/nox/credentials/exec/secrets.key"))
        try Data("not a key\n".utf8).write(to: URL(fileURLWithPath: temporary.path + "/secrets.key"))
        #expect(throws: SecretError.self) { try SecretKey.load(credentialsDirectory: temporary.path) }
        let key = SecureRandom.bytes(32)
        try Data((key.base64EncodedString() + "\n").utf8).write(to: URL(fileURLWithPath: temporary.path + "/secrets.key"))
        // The loaded key is that key: what it seals, the raw key opens.
        for loaded in [try SecretKey.load(credentialsDirectory: temporary.path), try SecretKey.parse(key)] {
            let box = try AESGCM.seal(Data("probe".utf8), key: loaded, associatedData: Data())
            #expect(try AESGCM.open(box, key: AESGCM.Key(key), associatedData: Data()) == Data("probe".utf8))
        }
    }

    /// The wrapper really exports the credentials, keeps trailing newlines and odd bytes, and
    /// passes the argv through untouched.
    @Test func theWrapperExportsCredentialsAndKeepsTheArgv() throws {
        let temporary = try TemporaryDirectory()
        defer { temporary.remove() }
        let values = ["TOKEN": "line1\nline2\n\n", "QUOTES": "it's \"$(id)\" `x` $HOME"]
        for (name, value) in values { try Data(value.utf8).write(to: URL(fileURLWithPath: temporary.path + "/" + name)) }
        let program = "import os,sys,json; print(json.dumps([os.environ.get('TOKEN'), os.environ.get('QUOTES'), sys.argv[1:]]))"
        let argv = SecretDelivery.wrap(["/usr/bin/python3", "-c", program, "$HOME", "a b"], names: Array(values.keys))
        #expect(argv[0] == "/bin/sh")
        #expect(!argv.joined().contains("line1"))  // names only, never values
        let process = Process()
        process.executableURL = URL(fileURLWithPath: argv[0])
        process.arguments = Array(argv.dropFirst())
        process.environment = ["CREDENTIALS_DIRECTORY": temporary.path, "PATH": "/usr/bin:/bin"]
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let output = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let decoded = try JSONSerialization.jsonObject(with: output) as? [Any]
        #expect(decoded?[0] as? String == values["TOKEN"])
        #expect(decoded?[1] as? String == values["QUOTES"])
        #expect(decoded?[2] as? [String] == ["$HOME", "a b"])
        #expect(SecretDelivery.wrap(["/bin/true"], names: []) == ["/bin/true"])
    }
}
