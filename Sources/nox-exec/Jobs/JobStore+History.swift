import Foundation
import GRDB
public import NoxRuntime

/// `GET /api/history`'s filters: `?language=&status=&q=&since=`.
public struct HistoryFilter: Sendable, Equatable {
    public var language: String?
    public var status: RunStatus?
    /// Plain words searched in the code (word prefixes, all must occur); never FTS syntax.
    public var query: String?
    /// Only jobs created at or after this time.
    public var since: Date?

    public init(language: String? = nil, status: RunStatus? = nil, query: String? = nil, since: Date? = nil) {
        self.language = language
        self.status = status
        self.query = query
        self.since = since
    }
}

/// One past run in the history: the result object plus what was run (`code`, or the sandbox
/// `file` it ran) and whose it was. Encodes flat: the result's keys, then `username`, `code`, `file`.
public struct HistoryItem: Codable, Sendable, Equatable {
    public var result: RunResult
    public var username: String
    public var code: String?
    public var file: String?

    public init(result: RunResult, username: String, code: String?, file: String?) {
        self.result = result
        self.username = username
        self.code = code
        self.file = file
    }

    enum CodingKeys: String, CodingKey { case username, code, file }

    public func encode(to encoder: any Encoder) throws {
        try result.encode(to: encoder)
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(username, forKey: .username)
        try container.encode(code, forKey: .code)
        try container.encode(file, forKey: .file)
    }

    public init(from decoder: any Decoder) throws {
        result = try RunResult(from: decoder)
        let container = try decoder.container(keyedBy: CodingKeys.self)
        username = try container.decode(String.self, forKey: .username)
        code = try container.decodeIfPresent(String.self, forKey: .code)
        file = try container.decodeIfPresent(String.self, forKey: .file)
    }
}

extension JobStore {
    /// Longer `q` are refused: a search box, not a document.
    public static let maximumQueryCharacters = 1000

    /// Past and current jobs, newest first: `username`'s, or everyone's for nil (an admin).
    /// The cursor is the last item's (created_at, id): ids break ties of one millisecond, and
    /// jobs added meanwhile do not shift the pages.
    /// - Throws: `APIError.validation` for a cursor this store did not make (`cursor`) or a
    ///   query over `maximumQueryCharacters` (`q`).
    public func history(username: String?, filters: HistoryFilter, page: PageRequest) throws -> Page<HistoryItem> {
        var conditions: [String] = []
        var arguments: StatementArguments = []
        func add(_ condition: String, _ values: StatementArguments) {
            conditions.append(condition)
            arguments += values
        }
        if let username { add("username = ?", [username]) }
        if let language = filters.language { add("language = ?", [language]) }
        if let status = filters.status { add("status = ?", [status.rawValue]) }
        if let since = filters.since { add("created_at >= ?", [RFC3339.string(since)]) }
        if let query = filters.query?.trimmingCharacters(in: .whitespacesAndNewlines), !query.isEmpty {
            guard query.count <= Self.maximumQueryCharacters else {
                throw APIError.validation(field: "q", "q is longer than \(Self.maximumQueryCharacters) characters.")
            }
            // Only punctuation: nothing can match, and FTS5 would reject an empty expression.
            guard let match = FullTextQuery.match(for: query) else { return Page(items: [], next_cursor: nil) }
            add("seq IN (SELECT rowid FROM jobs_fts WHERE jobs_fts MATCH ?)", [match])
        }
        if let cursor = page.cursor {
            let parts = cursor.split(separator: "|", maxSplits: 1).map(String.init)
            guard parts.count == 2 else { throw APIError.validation(field: "cursor", "cursor is not one this server issued.") }
            add("(created_at < ? OR (created_at = ? AND id < ?))", [parts[0], parts[0], parts[1]])
        }
        arguments += [page.limit + 1]
        let filter = conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")
        let sql = "SELECT * FROM jobs \(filter) ORDER BY created_at DESC, id DESC LIMIT ?"
        let rows = try pool.read { [arguments] db in
            try Row.fetchAll(db, sql: sql, arguments: arguments).map { row in
                HistoryItem(result: Self.result(row), username: row["username"], code: row["code"], file: row["file"])
            }
        }
        let items = Array(rows.prefix(page.limit))
        let next = rows.count > page.limit ? items.last.map { PageRequest.cursor(for: "\($0.result.createdAt)|\($0.result.id)") } : nil
        return Page(items: items, next_cursor: next)
    }
}
