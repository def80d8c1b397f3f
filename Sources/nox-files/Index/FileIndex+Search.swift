import Foundation
import GRDB
import NoxRuntime

/// One search result (API.md, "Files": `{path, line, snippet, highlights}`).
///
/// - A match in the file's *name* gives one hit with `line == nil` (JSON: the key is omitted,
///   API.md's `line?`), the name as `snippet`.
/// - A match in the *content* gives one hit per matching line: `line` is 1-based (lines end at
///   `\n`; a trailing `\r` is dropped), `snippet` is that line with surrounding white space
///   trimmed and, if longer than `Options.snippetCharacters`, cut to a window of that many
///   characters around the first match (no ellipsis is added, so offsets stay simple).
/// - `highlights` are `[start, end)` offsets in *Characters* (Swift grapheme clusters) into
///   `snippet`, sorted, overlapping ones merged: every occurrence of every query term.
public struct SearchHit: Sendable, Equatable, Codable {
    /// Relative to the sandbox root (canonical form).
    public var path: String
    /// 1-based line of a content hit; nil for a name hit.
    public var line: Int?
    public var snippet: String
    public var highlights: [[Int]]

    public init(path: String, line: Int?, snippet: String, highlights: [[Int]]) {
        self.path = path
        self.line = line
        self.snippet = snippet
        self.highlights = highlights
    }
}

extension FileIndex {
    /// Longer queries are refused (`FileIndexError.queryTooLong`): a search box, not a document.
    public static let maximumQueryCharacters = 1000
    /// The largest `limit` honoured (the HTTP route refuses a larger one with 422; here it is lowered).
    public static let maximumLimit = 1000

    /// Searches file names and text contents for `query`, which is plain text, never FTS syntax.
    ///
    /// The query is split into terms the way the index splits text (runs of letters and digits;
    /// everything else — quotes, `*`, `(`, `:`, `-`, `_`, `.` — separates), case-insensitively.
    /// Each term is matched as a word *prefix* (`pars` finds `parser` and `parseInt`), and a
    /// file matches when all terms occur in its name (a name hit) or all occur in its content
    /// (then each line containing any of them is a hit). Each term is quoted as an FTS5 string,
    /// so `AND`, `OR`, `NEAR`, `NOT`, `*`, `"`, `^`, column filters are searched as words or
    /// ignored as separators and can never act as operators. A query with no letters or digits
    /// at all (`"`, `*`, `()`) finds nothing.
    ///
    /// Results are ordered by relevance (bm25), then path, then line (the name hit first);
    /// at most `limit` hits. `under` keeps only files at or beneath that directory.
    /// Does not rescan: call `sync(with:)` first for files changed behind the API's back.
    ///
    /// - Throws: `FileIndexError` (`.emptyQuery`, `.queryTooLong`), or a database error.
    public func search(query: String, under directory: SandboxPath = .root, limit: Int = 50) throws -> [SearchHit] {
        let trimmed = query.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !trimmed.isEmpty else { throw FileIndexError(.emptyQuery, "The search query is empty.") }
        guard trimmed.count <= Self.maximumQueryCharacters else {
            throw FileIndexError(.queryTooLong, "The search query is longer than \(Self.maximumQueryCharacters) characters.")
        }
        let terms = Self.terms(of: trimmed)
        guard !terms.isEmpty else { return [] }
        let limit = min(max(limit, 1), Self.maximumLimit)
        // Terms hold letters and digits only, so the quoting below cannot be escaped; the
        // doubling of `"` is there anyway should the tokenizer ever change.
        let phrases = terms.map { "\"" + $0.joined().replacingOccurrences(of: "\"", with: "\"\"") + "\"*" }.joined(separator: " ")
        var filter = ""
        var filterArguments: StatementArguments = []
        if let (low, high) = Self.prefixRange(directory) {
            filter = " AND path >= ? AND path < ?"
            filterArguments = [low, high]
        }
        let sql = """
            SELECT kind, path, name, score, id FROM (
                SELECT 0 AS kind, path, name, bm25(file_text) AS score, rowid AS id
                    FROM file_text WHERE file_text MATCH ?\(filter)
                UNION ALL
                SELECT 1 AS kind, path, name, bm25(file_text) AS score, rowid AS id
                    FROM file_text WHERE file_text MATCH ?\(filter)
            ) ORDER BY score, path, kind
            """
        let arguments: StatementArguments = ["name : (\(phrases))"] + filterArguments + ["content : (\(phrases))"] + filterArguments
        let snippetCharacters = max(options.snippetCharacters, 1)
        return try pool.read { db in
            var hits: [SearchHit] = []
            let rows = try Row.fetchCursor(db, sql: sql, arguments: arguments)
            while hits.count < limit, let row = try rows.next() {
                let path: String = row["path"]
                if row["kind"] as Int == 0 {
                    let name: String = row["name"]
                    let ranges = Self.matches(in: Array(name), terms: terms)
                    hits.append(SearchHit(path: path, line: nil, snippet: name, highlights: ranges.map { [$0.lowerBound, $0.upperBound] }))
                    continue
                }
                let id: Int64 = row["id"]
                guard let content = try String.fetchOne(db, sql: "SELECT content FROM file_text WHERE rowid = ?", arguments: [id]) else { continue }
                Self.lineHits(path: path, content: content, terms: terms, snippetCharacters: snippetCharacters, limit: limit, into: &hits)
            }
            return hits
        }
    }

    /// `[low, high)` of the paths strictly beneath `directory` (`dir/` ≤ path < `dir0`, as `0`
    /// follows `/` in byte order); nil for the root (no filter).
    static func prefixRange(_ directory: SandboxPath) -> (String, String)? {
        directory.isRoot ? nil : (directory.string + "/", directory.string + "0")
    }

    // MARK: - Terms and matching

    /// Whether the index's tokenizer (`unicode61`) keeps this character in a word.
    static func isWordCharacter(_ character: Character) -> Bool { FullTextQuery.isWordCharacter(character) }

    /// The distinct words of the query, each as its lower-cased characters.
    static func terms(of query: String) -> [[String]] {
        var terms: [[String]] = []
        var seen = Set<String>()
        var current: [String] = []
        func flush() {
            if !current.isEmpty, seen.insert(current.joined()).inserted { terms.append(current) }
            current = []
        }
        for character in query {
            if isWordCharacter(character) {
                current.append(character.lowercased())
            } else {
                flush()
            }
        }
        flush()
        return terms
    }

    /// Every occurrence of a term at the start of a word of `characters`, as merged, sorted ranges.
    static func matches(in characters: [Character], terms: [[String]]) -> [Range<Int>] {
        var ranges: [Range<Int>] = []
        var index = 0
        while index < characters.count {
            guard isWordCharacter(characters[index]) else {
                index += 1
                continue
            }
            var end = index
            while end < characters.count, isWordCharacter(characters[end]) { end += 1 }
            var folded: [String] = []
            for term in terms where term.count <= end - index {
                while folded.count < term.count { folded.append(characters[index + folded.count].lowercased()) }
                if folded[0..<term.count].elementsEqual(term) { ranges.append(index..<(index + term.count)) }
            }
            index = end
        }
        ranges.sort { $0.lowerBound < $1.lowerBound }
        var merged: [Range<Int>] = []
        for range in ranges {
            if let last = merged.last, range.lowerBound <= last.upperBound {
                merged[merged.count - 1] = last.lowerBound..<max(last.upperBound, range.upperBound)
            } else {
                merged.append(range)
            }
        }
        return merged
    }

    /// Appends a hit for each line of `content` that contains a term, until `hits` holds `limit`.
    static func lineHits(path: String, content: String, terms: [[String]], snippetCharacters: Int, limit: Int, into hits: inout [SearchHit]) {
        var number = 0
        for bytes in content.utf8.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false) {
            number += 1
            guard hits.count < limit else { return }
            var characters = Array(Substring(bytes))
            while let last = characters.last, last.isWhitespace { characters.removeLast() }
            let leading = characters.prefix { $0.isWhitespace }.count
            if leading > 0 { characters.removeFirst(leading) }
            let ranges = matches(in: characters, terms: terms)
            guard let first = ranges.first else { continue }
            var start = 0
            var end = characters.count
            if characters.count > snippetCharacters {
                start = min(max(0, first.lowerBound - snippetCharacters / 4), characters.count - snippetCharacters)
                end = start + snippetCharacters
            }
            let highlights = ranges.compactMap { range -> [Int]? in
                let low = max(range.lowerBound, start)
                let high = min(range.upperBound, end)
                return low < high ? [low - start, high - start] : nil
            }
            hits.append(SearchHit(path: path, line: number, snippet: String(characters[start..<end]), highlights: highlights))
        }
    }
}
