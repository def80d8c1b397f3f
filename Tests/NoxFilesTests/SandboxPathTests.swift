import Testing

@testable import NoxFiles

@Suite("SandboxPath")
struct SandboxPathTests {
    static let invalid: [String] = [
        "..", "../x", "a/..", "a/../b", "a/b/../../c", "./..", "x/./../y",
        "/etc/passwd", "//etc", "/a/b",
        "a\\b", "..\\x", "\\",
        "a\u{0}b", "\u{0}",
        "a\nb", "a\tb", "a\u{7F}b", "\u{1B}",
        "%2e%2e", "%2E%2E/x", "a/%2e%2e/b", "%2e", "a%2fb", "a%2Fb", "a%5cb", "a%5C..", "x%00", "..%2f",
        String(repeating: "x", count: 256),
        "a/" + String(repeating: "x", count: 256) + "/b",
        String(repeating: "é", count: 128),  // 256 bytes
        String(repeating: String(repeating: "y", count: 200) + "/", count: 20) + String(repeating: "z", count: 100),  // 4100 bytes
    ]

    @Test("refuses traversal, absolute paths, NUL, backslashes, leftover escapes and over-long names", arguments: invalid)
    func refuses(_ raw: String) {
        #expect(throws: SandboxError.self) { try SandboxPath(raw) }
        do {
            _ = try SandboxPath(raw)
        } catch {
            #expect(error.code == .invalidPath)
            #expect(error.httpStatus == 400)
            #expect(error.apiCode == "invalid_path")
            #expect(error.path == raw)
        }
    }

    @Test("'/', '' and '.' are the root", arguments: ["", "/", ".", "./", ".//."])
    func root(_ raw: String) throws {
        let path = try SandboxPath(raw)
        #expect(path.isRoot)
        #expect(path.string == "")
        #expect(path == .root)
        #expect(path.parent == nil)
    }

    @Test(
        "empty and '.' segments are dropped; other names are kept as they are",
        arguments: [
            ("a//b", "a/b"), ("./a/./b/", "a/b"), ("a/b/", "a/b"), ("a", "a"),
            ("100%.txt", "100%.txt"), ("%41", "%41"), ("%2", "%2"), ("...", "..."), ("..a", "..a"), ("a..", "a.."),
            (".hidden/.x", ".hidden/.x"), ("with space/ü.txt", "with space/ü.txt"), ("a%20b", "a%20b"),
        ])
    func normalizes(_ raw: String, _ expected: String) throws {
        #expect(try SandboxPath(raw).string == expected)
    }

    @Test("limits are inclusive: a 255-byte name and a 4096-byte path are accepted")
    func limits() throws {
        let name = String(repeating: "n", count: 255)
        #expect(try SandboxPath(name).components == [name])
        #expect(try SandboxPath(String(repeating: "é", count: 127)).components.count == 1)  // 254 bytes
        let long = Array(repeating: String(repeating: "p", count: 240), count: 17).joined(separator: "/")  // 4096 bytes
        #expect(long.utf8.count == 4096)
        #expect(try SandboxPath(long).components.count == 17)
        #expect(throws: SandboxError.self) { try SandboxPath(long + "q") }
    }

    @Test("parent, name, appending and descendant checks")
    func navigation() throws {
        let path = try SandboxPath("a/b/c")
        #expect(path.name == "c")
        #expect(path.parent == (try SandboxPath("a/b")))
        #expect(try SandboxPath("a").parent == .root)
        #expect(try path.appending("d").string == "a/b/c/d")
        #expect(throws: SandboxError.self) { try path.appending("..") }
        #expect(throws: SandboxError.self) { try path.appending("x/y") }
        #expect(throws: SandboxError.self) { try path.appending("") }
        #expect(path.isSelfOrDescendant(of: try SandboxPath("a")))
        #expect(path.isSelfOrDescendant(of: path))
        #expect(path.isSelfOrDescendant(of: .root))
        #expect(!(try SandboxPath("ab/c")).isSelfOrDescendant(of: try SandboxPath("a")))
    }

    @Test(
        "every error code maps to the API's status and code",
        arguments: [
            (SandboxError.Code.invalidPath, 400, "invalid_path"), (.symlinkRefused, 400, "invalid_path"),
            (.notFound, 404, "not_found"), (.notADirectory, 409, "not_a_directory"), (.isADirectory, 409, "is_a_directory"),
            (.notRegularFile, 409, "not_a_regular_file"), (.alreadyExists, 409, "already_exists"),
            (.directoryNotEmpty, 409, "directory_not_empty"), (.invalidMove, 409, "invalid_move"),
            (.noSpace, 507, "quota_exceeded"), (.io, 500, "internal"),
        ])
    func errorMapping(_ code: SandboxError.Code, _ status: Int, _ apiCode: String) {
        #expect(code.httpStatus == status)
        #expect(code.apiCode == apiCode)
    }
}
