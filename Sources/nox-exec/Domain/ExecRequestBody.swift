import HTTPTypes
import NoxFiles
import NoxRuntime

/// `POST /api/exec`'s body as sent, checked into a `JobRequest` against the caller's quotas.
struct ExecRequestBody: Decodable, Sendable {
    var language: String?
    var code: String?
    var file: String?
    /// A snippet's id or name instead of `code` (`ExecRequestBody+Snippet`).
    var snippet: String?
    /// Reuse a previous identical run's result (`ExecCache`).
    var cache: Bool?
    var stdin: String?
    var args: [String]?
    var env: [String: String]?
    var files: [String: String]?
    var timeout_s: Int?
    var memory_mb: Int?
    var network: Bool?
    var wait: Bool?
    /// Names of the caller's secrets to give the run as environment variables (`/api/secrets`).
    var secrets: [String]?

    /// Bounds on what one request may carry (beyond the quotas).
    static let maximumCodeBytes = 1 << 20
    static let maximumStdinBytes = 8 << 20
    static let maximumArguments = 256
    static let maximumArgumentBytes = 64 * 1024
    static let maximumEnvironment = 64
    static let maximumFiles = 100
    static let maximumFilesBytes = 8 << 20
    /// Names a request may not set (API.md): the run's identity and loader, and Nox's own.
    static let reservedNames: Set<String> = ["PATH", "HOME", "USER", "SHELL", "LOGNAME"]

    func validated(for principal: Principal, canUseNetwork: Bool) throws -> JobRequest {
        guard let language else { throw APIError.validation(field: "language", "language is required.") }
        let source: JobRequest.Source
        switch (code, file) {
        case (let code?, nil):
            guard code.utf8.count <= Self.maximumCodeBytes else {
                throw APIError.validation(field: "code", "code is larger than \(Self.maximumCodeBytes) bytes.")
            }
            source = .code(code)
        case (nil, let file?):
            do {
                let path = try SandboxPath(file)
                guard !path.isRoot else { throw SandboxError(.invalidPath, path: file, "Invalid path: a file to run is needed, not the sandbox root.") }
                source = .file(path.string)
            } catch let error as SandboxError {
                throw APIError(.badRequest, code: "invalid_path", message: "file: \(error.message)", details: ["field": "file"])
            }
        case (nil, nil):
            throw APIError.validation(field: "code", "Send the code to run, or the file in your sandbox to run.")
        case (.some, .some):
            throw APIError.validation(field: "file", "Send code or file, not both.")
        }
        if let stdin, stdin.utf8.count > Self.maximumStdinBytes {
            throw APIError.validation(field: "stdin", "stdin is larger than \(Self.maximumStdinBytes) bytes.")
        }
        let args = args ?? []
        guard args.count <= Self.maximumArguments, args.reduce(0, { $0 + $1.utf8.count }) <= Self.maximumArgumentBytes,
            !args.contains(where: { $0.utf8.contains(0) })
        else {
            throw APIError.validation(field: "args", "args: at most \(Self.maximumArguments) arguments, \(Self.maximumArgumentBytes) bytes, no NUL.")
        }
        let env = env ?? [:]
        guard env.count <= Self.maximumEnvironment else { throw APIError.validation(field: "env", "At most \(Self.maximumEnvironment) variables.") }
        for (name, value) in env {
            guard Self.isAllowedName(name) else {
                throw APIError(
                    .unprocessableContent, code: "validation_failed",
                    message: "env: \(name) may not be set (names are [A-Z_][A-Z0-9_]*, not PATH, HOME, USER, SHELL, LD_* or NOX_*).",
                    details: ["field": "env", "name": name])
            }
            guard !value.utf8.contains(0), value.utf8.count <= 32 * 1024 else {
                throw APIError.validation(field: "env", "env: the value of \(name) is too long or contains NUL.")
            }
        }
        try checkSecretNames(env: env)
        let files = files ?? [:]
        guard files.count <= Self.maximumFiles, files.values.reduce(0, { $0 + $1.utf8.count }) <= Self.maximumFilesBytes else {
            throw APIError.validation(field: "files", "files: at most \(Self.maximumFiles) files, \(Self.maximumFilesBytes) bytes.")
        }
        for path in files.keys {
            do {
                guard !(try SandboxPath(path)).isRoot else { throw SandboxError(.invalidPath, path: path, "Invalid path: a file name is needed.") }
            } catch let error as SandboxError {
                throw APIError(.badRequest, code: "invalid_path", message: "files: \(error.message)", details: ["field": "files"])
            }
        }
        let quotas = principal.quotas
        let timeout = timeout_s ?? quotas.exec_timeout_s
        guard timeout >= 1 else { throw APIError.validation(field: "timeout_s", "timeout_s must be at least 1.") }
        guard timeout <= quotas.exec_timeout_s else { throw Self.overQuota("timeout_s", timeout, quotas.exec_timeout_s) }
        let memory = memory_mb ?? quotas.memory_mb
        guard memory >= 16 else { throw APIError.validation(field: "memory_mb", "memory_mb must be at least 16.") }
        guard memory <= quotas.memory_mb else { throw Self.overQuota("memory_mb", memory, quotas.memory_mb) }
        if network == true && !canUseNetwork {
            throw APIError(.forbidden, code: "forbidden", message: "Your role may not give runs network access.", details: ["field": "network"])
        }
        return JobRequest(
            username: principal.username, language: language, source: source, stdin: stdin, args: args, env: env, files: files,
            timeoutSeconds: timeout, memoryMB: memory, network: network ?? false, wait: wait ?? true
        )
    }

    /// API.md: `^[A-Z_][A-Z0-9_]*$`, not PATH, HOME, USER, SHELL, `LD_*` or `NOX_*`.
    static func isAllowedName(_ name: String) -> Bool {
        guard let first = name.utf8.first, first == UInt8(ascii: "_") || (0x41...0x5A).contains(first), name.utf8.count <= 128 else {
            return false
        }
        guard name.utf8.allSatisfy({ $0 == UInt8(ascii: "_") || (0x41...0x5A).contains($0) || (0x30...0x39).contains($0) }) else { return false }
        return !reservedNames.contains(name) && !name.hasPrefix("LD_") && !name.hasPrefix("NOX_")
    }

    static func overQuota(_ field: String, _ asked: Int, _ quota: Int) -> APIError {
        APIError(
            .unprocessableContent, code: "limit_exceeds_quota", message: "\(field) = \(asked) is above your quota of \(quota).",
            details: ["field": field, "quota": String(quota)])
    }
}
