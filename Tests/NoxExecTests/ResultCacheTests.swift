import Foundation
import NoxRuntime
import NoxTestSupport
import Testing

@testable import NoxExec

@Suite("Result cache")
struct ResultCacheTests {
    static func language(_ extra: String = "", version: String? = "1.0") throws -> Language {
        let manifest = try LanguageManifest.parse("name = \"demo\"\nfile_extension = \"dm\"\nrun = [\"/bin/sh\", \"{source}\"]\n" + extra, file: "demo.toml")
        return Language(manifest: manifest, version: version)
    }

    static func request(code: String = "echo hi", env: [String: String] = [:], files: [String: String] = [:]) -> JobRequest {
        JobRequest(username: "alice", language: "demo", source: .code(code), stdin: "in", args: ["a", "b"], env: env, files: files, timeoutSeconds: 5, memoryMB: 128)
    }

    @Test("The key does not depend on dictionary order, and equal requests give equal digests")
    func canonical() throws {
        let language = try Self.language()
        let first = ResultCacheKey(request: Self.request(env: ["A": "1", "B": "2", "C": "3"], files: ["x": "1", "y": "2"]), language: language, fileSHA256: nil)
        let second = ResultCacheKey(request: Self.request(env: ["C": "3", "A": "1", "B": "2"], files: ["y": "2", "x": "1"]), language: language, fileSHA256: nil)
        #expect(first.canonicalEncoding == second.canonicalEncoding)
        #expect(first.digest == second.digest)
        #expect(first.digest.count == 64)
        // Sorted keys: the encoding is stable text, not just equal within one process.
        let text = String(decoding: first.canonicalEncoding, as: UTF8.self)
        #expect(text.range(of: "\"A\":\"1\",\"B\":\"2\",\"C\":\"3\"") != nil)
    }

    @Test("Every input changes the key: code, stdin, args, env, files, limits, file hash, secret names")
    func inputsMatter() throws {
        let language = try Self.language()
        let base = ResultCacheKey(request: Self.request(), language: language, fileSHA256: nil).digest
        var variants: [JobRequest] = []
        variants.append(Self.request(code: "echo ho"))
        var stdin = Self.request(); stdin.stdin = "other"; variants.append(stdin)
        var args = Self.request(); args.args = ["a b"]; variants.append(args)
        variants.append(Self.request(env: ["A": "1"]))
        variants.append(Self.request(files: ["data.txt": "x"]))
        var timeout = Self.request(); timeout.timeoutSeconds = 6; variants.append(timeout)
        var memory = Self.request(); memory.memoryMB = 129; variants.append(memory)
        var other = Self.request(); other.username = "bob"; variants.append(other)
        for variant in variants {
            #expect(ResultCacheKey(request: variant, language: language, fileSHA256: nil).digest != base)
        }
        #expect(ResultCacheKey(request: Self.request(), language: language, fileSHA256: "ab").digest != base)
        #expect(ResultCacheKey(request: Self.request(), language: language, fileSHA256: nil, secretNames: ["TOKEN"]).digest != base)
    }

    @Test("A changed manifest or toolchain version gives another key")
    func manifestChange() throws {
        let request = Self.request()
        let base = ResultCacheKey(request: request, language: try Self.language(), fileSHA256: nil).digest
        #expect(ResultCacheKey(request: request, language: try Self.language(), fileSHA256: nil).digest == base)
        #expect(ResultCacheKey(request: request, language: try Self.language("[environment]\nDEMO = \"1\"\n"), fileSHA256: nil).digest != base)
        #expect(ResultCacheKey(request: request, language: try Self.language(version: "1.1"), fileSHA256: nil).digest != base)
    }

    @Test("Entries are per user, expire after the TTL, and the least recently used go past the bound")
    func lruAndTTL() throws {
        let temporary = try TemporaryDirectory()
        defer { temporary.remove() }
        let cache = try ResultCache(path: temporary.path + "/cache.sqlite", ttlSeconds: 100, entriesPerUser: 3)
        let start = Date(timeIntervalSince1970: 1_767_323_045)
        for index in 0..<3 {
            try cache.remember(username: "alice", key: "k\(index)", jobID: "job\(index)", now: start.addingTimeInterval(Double(index)))
        }
        #expect(try cache.lookup(username: "bob", key: "k0", now: start.addingTimeInterval(5)) == nil)
        // Using k0 makes k1 the least recently used one.
        #expect(try cache.lookup(username: "alice", key: "k0", now: start.addingTimeInterval(5)) == "job0")
        try cache.remember(username: "alice", key: "k3", jobID: "job3", now: start.addingTimeInterval(6))
        #expect(try cache.count(username: "alice") == 3)
        #expect(try cache.lookup(username: "alice", key: "k1", now: start.addingTimeInterval(7)) == nil)
        #expect(try cache.lookup(username: "alice", key: "k2", now: start.addingTimeInterval(7)) == "job2")
        // Past the TTL the entry no longer answers.
        #expect(try cache.lookup(username: "alice", key: "k3", now: start.addingTimeInterval(200)) == nil)
    }
}
