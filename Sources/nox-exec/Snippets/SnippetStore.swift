import Foundation
public import GRDB
import NoxRuntime

/// Snippets in their own SQLite database (`snippets.sqlite` beside `jobs.sqlite`), with an FTS5
/// index over name, description and code. Reads are scoped: a user sees their own and the global
/// ones, so another user's snippet reads as absent (404). Synchronous: call off the cooperative pool.
public final class SnippetStore: Sendable {
    public let pool: DatabasePool

    public init(path: String) throws {
        pool = try NoxDatabase.openPool(at: path, migrator: Self.migrator)
    }

    /// `GET /api/snippets`'s filters.
    public struct Filter: Sendable {
        public enum Scope: String, Sendable { case mine, global, all }
        public var query: String?
        public var tag: String?
        public var language: String?
        public var scope: Scope = .all
        public init() {}
    }

    static func newID() -> String { "snp_" + SecureRandom.hex(byteCount: 12) }

    /// Creates a snippet owned by `owner` (`Snippet.globalOwner` for a global one).
    /// - Throws: `409 snippet_exists` when the owner already has one of that name.
    public func create(owner: String, name: String, language: String, description: String, tags: [String], code: String, now: Date = Date())
        throws -> Snippet
    {
        let id = Self.newID()
        let time = RFC3339.string(now)
        let tagsJSON = try JobStore.json(tags)
        try Self.mappingConflict(name) {
            try pool.write { db in
                try db.execute(
                    sql: """
                        INSERT INTO snippets (id, owner, name, language, description, tags, code, created_at, updated_at)
                        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                        """,
                    arguments: [id, owner, name, language, description, tagsJSON, code, time, time])
            }
        }
        return Snippet(
            id: id, name: name, language: language, description: description, tags: tags, code: code,
            scope: owner == Snippet.globalOwner ? "global" : "mine", created_at: time, updated_at: time)
    }

    /// The snippet `idOrName` as `username` sees it: by id among theirs and the global ones, or by
    /// name, their own first, then a global one.
    public func find(_ idOrName: String, username: String) throws -> (snippet: Snippet, owner: String)? {
        try pool.read { db in
            let row = try Row.fetchOne(
                db,
                sql: """
                    SELECT * FROM snippets WHERE (id = ? OR name = ?) AND owner IN (?, ?)
                    ORDER BY id = ? DESC, owner = ? DESC LIMIT 1
                    """,
                arguments: [idOrName, idOrName, username, Snippet.globalOwner, idOrName, username])
            return row.map { (Self.snippet($0, username: username), $0["owner"]) }
        }
    }

    /// Applies the present fields of `fields` to snippet `id`; returns the updated snippet.
    public func update(id: String, fields: SnippetUpdate, username: String, now: Date = Date()) throws -> Snippet? {
        let tagsJSON = try fields.tags.map(JobStore.json)
        return try Self.mappingConflict(fields.name ?? "") {
            try pool.write { db in
                try db.execute(
                    sql: """
                        UPDATE snippets SET name = COALESCE(?, name), language = COALESCE(?, language),
                            description = COALESCE(?, description), tags = COALESCE(?, tags), code = COALESCE(?, code), updated_at = ?
                        WHERE id = ?
                        """,
                    arguments: [fields.name, fields.language, fields.description, tagsJSON, fields.code, RFC3339.string(now), id])
                return try Row.fetchOne(db, sql: "SELECT * FROM snippets WHERE id = ?", arguments: [id]).map { Self.snippet($0, username: username) }
            }
        }
    }

    @discardableResult
    public func delete(id: String) throws -> Bool {
        try pool.write { db in
            try db.execute(sql: "DELETE FROM snippets WHERE id = ?", arguments: [id])
            return db.changesCount > 0
        }
    }

    /// What `username` may see, newest first; the cursor is the last item's (created_at, id).
    public func list(username: String, filter: Filter, page: PageRequest) throws -> Page<Snippet> {
        var conditions: [String] = []
        var arguments: StatementArguments = []
        func add(_ condition: String, _ values: StatementArguments) {
            conditions.append(condition)
            arguments += values
        }
        switch filter.scope {
        case .mine: add("owner = ?", [username])
        case .global: add("owner = ?", [Snippet.globalOwner])
        case .all: add("owner IN (?, ?)", [username, Snippet.globalOwner])
        }
        if let language = filter.language { add("language = ?", [language]) }
        if let tag = filter.tag { add("EXISTS (SELECT 1 FROM json_each(snippets.tags) WHERE value = ?)", [tag]) }
        if let query = filter.query?.trimmingCharacters(in: .whitespacesAndNewlines), !query.isEmpty {
            guard let match = FullTextQuery.match(for: query) else { return Page(items: [], next_cursor: nil) }
            add("seq IN (SELECT rowid FROM snippets_fts WHERE snippets_fts MATCH ?)", [match])
        }
        if let cursor = page.cursor {
            let parts = cursor.split(separator: "|", maxSplits: 1).map(String.init)
            guard parts.count == 2 else { throw APIError.validation(field: "cursor", "cursor is not one this server issued.") }
            add("(created_at < ? OR (created_at = ? AND id < ?))", [parts[0], parts[0], parts[1]])
        }
        arguments += [page.limit + 1]
        let sql = "SELECT * FROM snippets WHERE \(conditions.joined(separator: " AND ")) ORDER BY created_at DESC, id DESC LIMIT ?"
        let rows = try pool.read { [arguments] db in
            try Row.fetchAll(db, sql: sql, arguments: arguments).map { Self.snippet($0, username: username) }
        }
        let items = Array(rows.prefix(page.limit))
        let next = rows.count > page.limit ? items.last.map { PageRequest.cursor(for: "\($0.created_at)|\($0.id)") } : nil
        return Page(items: items, next_cursor: next)
    }

    // MARK: - Rows and schema

    static func snippet(_ row: Row, username: String) -> Snippet {
        let tagsText: String = row["tags"]
        let tags = (try? JSONDecoder().decode([String].self, from: Data(tagsText.utf8))) ?? []
        let owner: String = row["owner"]
        return Snippet(
            id: row["id"], name: row["name"], language: row["language"], description: row["description"], tags: tags, code: row["code"],
            scope: owner == Snippet.globalOwner ? "global" : "mine", created_at: row["created_at"], updated_at: row["updated_at"])
    }

    /// The UNIQUE (owner, name) constraint as the API's `409 snippet_exists`.
    static func mappingConflict<T>(_ name: String, _ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let error as DatabaseError where error.extendedResultCode == .SQLITE_CONSTRAINT_UNIQUE {
            throw APIError.conflict(code: "snippet_exists", "A snippet named \(name) exists already.")
        }
    }

    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("snippets.v1") { db in
            try db.execute(
                sql: """
                    CREATE TABLE snippets (
                        seq INTEGER PRIMARY KEY,
                        id TEXT NOT NULL UNIQUE,
                        owner TEXT NOT NULL,
                        name TEXT NOT NULL,
                        language TEXT NOT NULL,
                        description TEXT NOT NULL DEFAULT '',
                        tags TEXT NOT NULL DEFAULT '[]',
                        code TEXT NOT NULL,
                        created_at TEXT NOT NULL,
                        updated_at TEXT NOT NULL,
                        UNIQUE (owner, name)
                    );
                    CREATE INDEX snippets_owner_created ON snippets(owner, created_at, id);
                    CREATE VIRTUAL TABLE snippets_fts USING fts5(
                        name, description, code, content = 'snippets', content_rowid = 'seq',
                        tokenize = 'unicode61 remove_diacritics 0', prefix = '2 3'
                    );
                    CREATE TRIGGER snippets_fts_insert AFTER INSERT ON snippets BEGIN
                        INSERT INTO snippets_fts(rowid, name, description, code) VALUES (new.seq, new.name, new.description, new.code);
                    END;
                    CREATE TRIGGER snippets_fts_delete AFTER DELETE ON snippets BEGIN
                        INSERT INTO snippets_fts(snippets_fts, rowid, name, description, code)
                            VALUES ('delete', old.seq, old.name, old.description, old.code);
                    END;
                    CREATE TRIGGER snippets_fts_update AFTER UPDATE ON snippets BEGIN
                        INSERT INTO snippets_fts(snippets_fts, rowid, name, description, code)
                            VALUES ('delete', old.seq, old.name, old.description, old.code);
                        INSERT INTO snippets_fts(rowid, name, description, code) VALUES (new.seq, new.name, new.description, new.code);
                    END;
                    """)
        }
        return migrator
    }
}

/// The fields a `PATCH` changes (nil: kept).
public struct SnippetUpdate: Sendable {
    public var name: String?
    public var language: String?
    public var description: String?
    public var tags: [String]?
    public var code: String?
}
