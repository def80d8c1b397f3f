import Foundation
import Testing

@testable import NoxCtl

@Suite struct CredentialStoreTests {
    @Test func loginsAreStoredPerServerInAPrivateFile() throws {
        let directory = try TemporaryDirectory()
        let store = CredentialStore(path: directory.path + "/nox/credentials.json")
        let login = StoredLogin(username: "alice", accessToken: "a", refreshToken: "r", expiresAt: 100)
        try store.update("https://one") { _ in .some(login) }
        try store.update("https://two") { _ in .some(StoredLogin(username: "bob", accessToken: "b", refreshToken: "s", expiresAt: 1)) }
        #expect(try store.login(for: "https://one") == login)
        #expect(try store.login(for: "https://two")?.username == "bob")

        var info = stat()
        #expect(stat(store.path, &info) == 0)
        #expect(info.st_mode & 0o777 == 0o600)
        #expect(stat(directory.path + "/nox", &info) == 0)
        #expect(info.st_mode & 0o777 == 0o700)

        try store.update("https://one") { _ in .some(nil) }
        #expect(try store.login(for: "https://one") == nil)
        #expect(try store.login(for: "https://two") != nil)
    }

    @Test func returningNilChangesNothing() throws {
        let directory = try TemporaryDirectory()
        let store = CredentialStore(path: directory.path + "/credentials.json")
        let result = try store.update("https://one") { current in
            #expect(current == nil)
            return nil
        }
        #expect(result == nil)
        #expect(!FileManager.default.fileExists(atPath: store.path))
    }

    @Test func aDamagedFileIsReportedNotIgnored() throws {
        let directory = try TemporaryDirectory()
        let store = CredentialStore(path: directory.path + "/credentials.json")
        try "{not json".write(toFile: store.path, atomically: true, encoding: .utf8)
        #expect(throws: NoxCtlError.self) { try store.login(for: "https://one") }
    }
}
