/// What a caller asked to run, after the daemon validated it and applied the caller's quotas
/// (API.md, `POST /api/exec`). A plain value: the daemon fills it, the store records part of it,
/// the runner uses the rest.
public struct JobRequest: Sendable, Equatable {
    /// Inline code, or a file already in the caller's sandbox.
    public enum Source: Sendable, Equatable {
        case code(String)
        /// A path relative to the sandbox root.
        case file(String)
    }

    public var username: String
    /// The language's canonical name (aliases resolved).
    public var language: String
    public var source: Source
    public var stdin: String?
    public var args: [String]
    /// Extra environment. Only the names are ever stored: values may be secrets.
    public var env: [String: String]
    /// Files to write into the sandbox before the run: relative path → text.
    public var files: [String: String]
    /// The effective limits: the request's, never above the caller's quotas.
    public var timeoutSeconds: Int
    public var memoryMB: Int
    public var network: Bool
    /// Whether the caller waits for the result (`200`) or gets `202 {id, status}` at once.
    public var wait: Bool
    /// The values of the user's secrets the request named (`secrets`), for this run only:
    /// never stored, logged or put in the unit's properties (see `SecretDelivery`).
    public var secrets: [String: String] = [:]

    public init(
        username: String, language: String, source: Source, stdin: String? = nil, args: [String] = [], env: [String: String] = [:],
        files: [String: String] = [:], timeoutSeconds: Int, memoryMB: Int, network: Bool = false, wait: Bool = true
    ) {
        self.username = username
        self.language = language
        self.source = source
        self.stdin = stdin
        self.args = args
        self.env = env
        self.files = files
        self.timeoutSeconds = timeoutSeconds
        self.memoryMB = memoryMB
        self.network = network
        self.wait = wait
    }

    /// The inline code; nil for a file run.
    public var code: String? {
        if case .code(let code) = source { return code }
        return nil
    }

    /// The sandbox path of a file run; nil for inline code.
    public var file: String? {
        if case .file(let path) = source { return path }
        return nil
    }

    /// The environment's names, sorted: what the store keeps of `env`.
    public var envNames: [String] { env.keys.sorted() }
}
