/// Why a search request was refused. Both are the client's fault: the daemon answers
/// `422 validation_failed` with `details.field = "query"` (API.md, "Errors").
public struct FileIndexError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Code: String, Sendable {
        /// The query is empty or only white space.
        case emptyQuery = "empty_query"
        /// The query is longer than `FileIndex.maximumQueryCharacters`.
        case queryTooLong = "query_too_long"
    }

    public var code: Code
    public var message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var httpStatus: Int { 422 }
    public var apiCode: String { "validation_failed" }
    /// The request field at fault (for `details.field`).
    public var field: String { "query" }
    public var description: String { "\(code.rawValue): \(message)" }
}
