import Foundation
import NoxFiles
import NoxRuntime

/// `cache: true` on `POST /api/exec`: finds a previous identical run's result, and records new
/// runs so later requests can find theirs.
struct ExecCache: Sendable {
    let cache: ResultCache
    let store: JobStore
    let languages: LanguageCatalog
    let sandboxes: SandboxLocator

    /// The statuses whose results are reused: the program ran to its end. A timeout, a kill or
    /// Nox's own error says more about the moment than about the code.
    static let cacheable: Set<RunStatus> = [.succeeded, .failed]

    /// The request's key; nil when it cannot have one (unknown language, missing file): the run
    /// then goes ahead uncached and reports that problem itself.
    func key(for request: JobRequest, secretNames: [String] = []) async throws -> String? {
        guard let language = languages.resolve(request.language) else { return nil }
        var fileSHA256: String?
        if let file = request.file {
            let sandbox = try await sandboxes.sandbox(of: request.username)
            guard let digest = try? await offPool({ try Self.sha256(of: file, in: sandbox) }) else { return nil }
            fileSHA256 = digest
        }
        var named = request
        named.language = language.name
        return ResultCacheKey(request: named, language: language, fileSHA256: fileSHA256, secretNames: secretNames).digest
    }

    /// The stored result that answers `key` for `username`, if it is fresh and cacheable.
    func hit(key: String, username: String) async throws -> RunResult? {
        try await offPool { [cache, store] in
            guard let jobID = try cache.lookup(username: username, key: key) else { return nil }
            let result = try store.find(id: jobID, username: username)
            if let result, Self.cacheable.contains(result.status) { return result }
            // Still running: maybe an answer later. Pruned from history, or ended otherwise: never.
            if let result, !result.status.isFinal { return nil }
            try cache.forget(username: username, key: key)
            return nil
        }
    }

    /// Records the job just submitted for `key` (whatever its status yet; `hit` checks it).
    func remember(key: String, username: String, result: RunResult) async {
        guard !result.status.isFinal || Self.cacheable.contains(result.status) else { return }
        _ = try? await offPool { [cache] in try cache.remember(username: username, key: key, jobID: result.id) }
    }

    static func sha256(of file: String, in sandbox: String) throws -> String {
        let directory = try SandboxDirectory(path: sandbox)
        let handle = try directory.openFile(try SandboxPath(file))
        defer { handle.close() }
        let digest = SHA256Stream()
        var offset: Int64 = 0
        while true {
            let chunk = try handle.read(at: offset, count: 1 << 20)
            chunk.withUnsafeBytes { digest.update($0) }
            offset += Int64(chunk.count)
            if chunk.count < 1 << 20 { return digest.finalizeHex() }
        }
    }
}

/// A result as `POST /api/exec` answers a request that asked for the cache: the result object's
/// keys plus `cached` (true: a previous identical run's result, its id and times included).
struct CachedRunResult: Encodable, Sendable {
    var result: RunResult
    var cached: Bool

    enum CodingKeys: String, CodingKey { case cached }

    func encode(to encoder: any Encoder) throws {
        try result.encode(to: encoder)
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(cached, forKey: .cached)
    }
}
