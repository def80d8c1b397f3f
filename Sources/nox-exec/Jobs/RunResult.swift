/// The result object of one run (API.md, "Execution"), as `GET /api/jobs/{id}`, the `status`
/// SSE event and history items send it.
///
/// Every key is always present, `null` when unknown (clients read `result["exit_code"]`
/// without checking first): `exit_code` while queued or running or when a signal ended the run,
/// `signal` unless one did, the times and measurements until they are known. Times are
/// RFC 3339 UTC with milliseconds (`RFC3339`); `error` is a human message and is sent only
/// with status `error` (Nox itself failed), `null` otherwise.
public struct RunResult: Codable, Sendable, Equatable {
    public var id: String
    public var language: String
    public var status: RunStatus
    /// The exit status; nil while not finished, or when a signal ended the run.
    public var exitCode: Int?
    /// The name of the signal that ended the run (`"SIGKILL"`, see `SignalName`).
    public var signal: String?
    /// What the run wrote, decoded as UTF-8 with invalid bytes replaced by U+FFFD.
    public var stdout: String
    public var stderr: String
    /// The run wrote more than the cap; the rest was dropped.
    public var stdoutTruncated: Bool
    public var stderrTruncated: Bool
    public var createdAt: String
    public var startedAt: String?
    public var finishedAt: String?
    public var durationMs: Int64?
    public var cpuMs: Int64?
    public var memoryPeakBytes: Int64?
    /// Why Nox failed to run it; only sent with status `error`.
    public var error: String?

    public init(
        id: String, language: String, status: RunStatus, exitCode: Int? = nil, signal: String? = nil, stdout: String = "",
        stderr: String = "", stdoutTruncated: Bool = false, stderrTruncated: Bool = false, createdAt: String,
        startedAt: String? = nil, finishedAt: String? = nil, durationMs: Int64? = nil, cpuMs: Int64? = nil,
        memoryPeakBytes: Int64? = nil, error: String? = nil
    ) {
        self.id = id
        self.language = language
        self.status = status
        self.exitCode = exitCode
        self.signal = signal
        self.stdout = stdout
        self.stderr = stderr
        self.stdoutTruncated = stdoutTruncated
        self.stderrTruncated = stderrTruncated
        self.createdAt = createdAt
        self.startedAt = startedAt
        self.finishedAt = finishedAt
        self.durationMs = durationMs
        self.cpuMs = cpuMs
        self.memoryPeakBytes = memoryPeakBytes
        self.error = error
    }

    /// Captured output bytes as the result's text: UTF-8, invalid bytes replaced by U+FFFD.
    public static func text(_ bytes: some Collection<UInt8>) -> String {
        String(decoding: bytes, as: UTF8.self)
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case id, language, status, signal, stdout, stderr, error
        case exitCode = "exit_code"
        case stdoutTruncated = "stdout_truncated"
        case stderrTruncated = "stderr_truncated"
        case createdAt = "created_at"
        case startedAt = "started_at"
        case finishedAt = "finished_at"
        case durationMs = "duration_ms"
        case cpuMs = "cpu_ms"
        case memoryPeakBytes = "memory_peak_bytes"
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(id, forKey: .id)
        try container.encode(language, forKey: .language)
        try container.encode(status, forKey: .status)
        // `encode` of an optional writes null; `encodeIfPresent` would drop the key.
        try container.encode(exitCode, forKey: .exitCode)
        try container.encode(signal, forKey: .signal)
        try container.encode(stdout, forKey: .stdout)
        try container.encode(stderr, forKey: .stderr)
        try container.encode(stdoutTruncated, forKey: .stdoutTruncated)
        try container.encode(stderrTruncated, forKey: .stderrTruncated)
        try container.encode(createdAt, forKey: .createdAt)
        try container.encode(startedAt, forKey: .startedAt)
        try container.encode(finishedAt, forKey: .finishedAt)
        try container.encode(durationMs, forKey: .durationMs)
        try container.encode(cpuMs, forKey: .cpuMs)
        try container.encode(memoryPeakBytes, forKey: .memoryPeakBytes)
        try container.encode(status == .error ? error : nil, forKey: .error)
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        id = try container.decode(String.self, forKey: .id)
        language = try container.decode(String.self, forKey: .language)
        status = try container.decode(RunStatus.self, forKey: .status)
        exitCode = try container.decodeIfPresent(Int.self, forKey: .exitCode)
        signal = try container.decodeIfPresent(String.self, forKey: .signal)
        stdout = try container.decodeIfPresent(String.self, forKey: .stdout) ?? ""
        stderr = try container.decodeIfPresent(String.self, forKey: .stderr) ?? ""
        stdoutTruncated = try container.decodeIfPresent(Bool.self, forKey: .stdoutTruncated) ?? false
        stderrTruncated = try container.decodeIfPresent(Bool.self, forKey: .stderrTruncated) ?? false
        createdAt = try container.decode(String.self, forKey: .createdAt)
        startedAt = try container.decodeIfPresent(String.self, forKey: .startedAt)
        finishedAt = try container.decodeIfPresent(String.self, forKey: .finishedAt)
        durationMs = try container.decodeIfPresent(Int64.self, forKey: .durationMs)
        cpuMs = try container.decodeIfPresent(Int64.self, forKey: .cpuMs)
        memoryPeakBytes = try container.decodeIfPresent(Int64.self, forKey: .memoryPeakBytes)
        error = try container.decodeIfPresent(String.self, forKey: .error)
    }
}
