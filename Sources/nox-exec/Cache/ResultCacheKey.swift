import Foundation
import NoxRuntime

/// What makes two runs "identical" for `cache: true`, and its SHA-256.
///
/// Everything that can change a run's output is in it: the user, the language as its manifest
/// describes it now and the toolchain's version (so editing a manifest or upgrading a compiler
/// starts afresh), the code — or, for a `file` run, the path and the file's SHA-256 — stdin, args,
/// the environment, the names of the secrets the run gets, the files written before the run (by
/// content hash) and the effective limits. Only the digest is stored, never the inputs: env values
/// may be secrets.
public struct ResultCacheKey: Codable, Sendable, Equatable {
    /// Bumped when the encoding changes, so old entries stop matching instead of colliding.
    var version = 1
    var username: String
    var language: String
    var manifest: String
    var toolchain: String?
    var code: String?
    var file: String?
    var fileSHA256: String?
    var stdin: String?
    var args: [String]
    var env: [String: String]
    var secretNames: [String]
    var files: [String: String]
    var timeoutSeconds: Int
    var memoryMB: Int
    var network: Bool

    /// - Parameters:
    ///   - fileSHA256: the hex SHA-256 of the sandbox file a `file` run runs (nil for inline code).
    ///   - secretNames: the names of the secrets injected into the run (their values change nothing
    ///     the cache may know about; a rotated secret is the user's to clear by not asking for the cache).
    public init(request: JobRequest, language: Language, fileSHA256: String?, secretNames: [String] = []) {
        username = request.username
        self.language = language.name
        manifest = Self.fingerprint(language.manifest)
        toolchain = language.version
        code = request.code
        file = request.file
        self.fileSHA256 = fileSHA256
        stdin = request.stdin
        args = request.args
        env = request.env
        self.secretNames = secretNames.sorted()
        files = request.files.mapValues { Digest.sha256Hex($0) }
        timeoutSeconds = request.timeoutSeconds
        memoryMB = request.memoryMB
        network = request.network
    }

    /// The canonical encoding: JSON with sorted keys, so equal keys give equal bytes in any process.
    public var canonicalEncoding: Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        // Encoding plain strings, ints and bools cannot fail.
        return (try? encoder.encode(self)) ?? Data()
    }

    /// The key as stored: hex SHA-256 of the canonical encoding.
    public var digest: String { Hex.encode(Digest.sha256(canonicalEncoding)) }

    /// Every field of the manifest that affects a run, in a fixed order (the environment sorted):
    /// the parsed manifest rather than the file's bytes, so a comment or a reordering changes
    /// nothing while any effective change does.
    static func fingerprint(_ manifest: LanguageManifest) -> String {
        let parts: [String] = [
            manifest.name, manifest.sourceName, manifest.fileExtension, manifest.requires.joined(separator: "\u{1}"),
            (manifest.versionCommand ?? []).joined(separator: "\u{1}"), (manifest.compile?.arguments ?? []).joined(separator: "\u{1}"),
            manifest.run.arguments.joined(separator: "\u{1}"),
            manifest.environment.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: "\u{1}"),
            String(manifest.memoryDenyWriteExecute), manifest.tasksMin.map(String.init) ?? "-",
            manifest.compileTimeoutSeconds.map(String.init) ?? "-",
        ]
        return Digest.sha256Hex(parts.joined(separator: "\u{0}"))
    }
}
