import Foundation
import NoxRuntime

/// One Server-Sent Event of `GET /api/jobs/{id}/events` (API.md): a chunk of output, or the
/// final result.
public enum RunEvent: Sendable, Equatable {
    case stdout(String)
    case stderr(String)
    case status(RunResult)

    /// The SSE name: `stdout`, `stderr` or `status`.
    public var name: String {
        switch self {
        case .stdout: "stdout"
        case .stderr: "stderr"
        case .status: "status"
        }
    }

    /// The event as SSE text: `event: stdout\ndata: {"data":"<chunk>"}\n\n`, or
    /// `event: status\ndata: <result JSON>\n\n`. The data is one line of JSON (newlines in the
    /// chunk are escaped), so it needs a single `data:` field.
    public func sseText() -> String {
        "event: \(name)\ndata: \(dataJSON())\n\n"
    }

    private func dataJSON() -> String {
        struct Chunk: Encodable { var data: String }
        let encoded: Data?
        switch self {
        case .stdout(let text), .stderr(let text): encoded = try? JSON.encoder.encode(Chunk(data: text))
        case .status(let result): encoded = try? JSON.encoder.encode(result)
        }
        // Encoding strings, booleans and integers cannot fail.
        return encoded.map { String(decoding: $0, as: UTF8.self) } ?? "{}"
    }
}
