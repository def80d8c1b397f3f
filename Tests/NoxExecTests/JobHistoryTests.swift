import Foundation
import NoxRuntime
import Testing

@testable import NoxExec

@Suite("Job history")
struct JobHistoryTests {
    typealias Fixture = JobStoreTests.Fixture

    /// Every page of a history listing, following the cursors.
    static func allPages(_ store: JobStore, username: String?, filters: HistoryFilter = HistoryFilter(), limit: Int) throws -> [[HistoryItem]] {
        var pages: [[HistoryItem]] = []
        var cursor: String?
        repeat {
            let page = try store.history(username: username, filters: filters, page: PageRequest(limit: limit, cursor: cursor))
            pages.append(page.items)
            // The route hands the cursor back decoded; do as it does.
            cursor = try page.next_cursor.map { try Self.decodeCursor($0) }
        } while cursor != nil && pages.count < 20
        return pages
    }

    static func decodeCursor(_ cursor: String) throws -> String {
        let text = try #require(Base64URL.decode(cursor).flatMap { String(data: $0, encoding: .utf8) })
        return String(text.dropFirst("nox1:".count))
    }

    @Test("history pages newest first through cursors, ties broken by id, other users left out unless admin")
    func pagination() throws {
        let fixture = try Fixture()
        var ids: [String] = []
        for second in [1.0, 2, 3, 4, 4, 5, 6] { ids.append(try fixture.insert("print(\(second))", second: second).id) }
        try fixture.insert("print('bob')", user: "bob", second: 3.5)

        let pages = try Self.allPages(fixture.store, username: "alice", limit: 3)
        #expect(pages.map(\.count) == [3, 3, 1])
        let listed = pages.flatMap { $0 }
        let expected = Array(zip(ids, [1.0, 2, 3, 4, 4, 5, 6])).sorted { ($0.1, $0.0) > ($1.1, $1.0) }.map(\.0)
        #expect(listed.map(\.result.id) == expected)
        #expect(listed.allSatisfy { $0.username == "alice" })
        #expect(listed.first?.code == "print(6.0)")

        let everyone = try Self.allPages(fixture.store, username: nil, limit: 1000).flatMap { $0 }
        #expect(everyone.count == 8)
        #expect(everyone.map(\.result.createdAt) == everyone.map(\.result.createdAt).sorted(by: >))
    }

    @Test("a cursor that is not position text is refused")
    func badCursor() throws {
        let fixture = try Fixture()
        #expect(throws: APIError.self) {
            try fixture.store.history(username: "alice", filters: HistoryFilter(), page: PageRequest(limit: 5, cursor: "garbage"))
        }
    }

    @Test("language, status and since filter the history")
    func filters() throws {
        let fixture = try Fixture()
        let python = try fixture.insert("print(1)", language: "python", second: 1)
        let node = try fixture.insert("console.log(1)", language: "javascript", second: 2)
        let late = try fixture.insert("print(2)", language: "python", second: 3)
        try fixture.store.finish(id: python.id, result: JobStoreTests.finished(python, .succeeded))

        func ids(_ filters: HistoryFilter) throws -> [String] {
            try fixture.store.history(username: "alice", filters: filters, page: PageRequest()).items.map(\.result.id)
        }
        #expect(try ids(HistoryFilter(language: "python")) == [late.id, python.id])
        #expect(try ids(HistoryFilter(status: .succeeded)) == [python.id])
        #expect(try ids(HistoryFilter(status: .queued)) == [late.id, node.id])
        #expect(try ids(HistoryFilter(since: JobStoreTests.time(2))) == [late.id, node.id])
        #expect(try ids(HistoryFilter(language: "python", status: .queued, since: JobStoreTests.time(2))) == [late.id])
        #expect(try ids(HistoryFilter(language: "rust")) == [])
    }

    @Test("q searches the code by word prefixes, all words needed, case-insensitively")
    func fullText() throws {
        let fixture = try Fixture()
        let hello = try fixture.insert("print('Hello world')", second: 1)
        let node = try fixture.insert("console.log('hello')", language: "javascript", second: 2)
        let sql = try fixture.insert("SELECT name FROM users ORDER BY id", language: "sqlite", second: 3)
        try fixture.insert("print('hello from bob')", user: "bob", second: 4)

        func ids(_ query: String) throws -> [String] {
            try fixture.store.history(username: "alice", filters: HistoryFilter(query: query), page: PageRequest()).items.map(\.result.id)
        }
        #expect(try ids("hello") == [node.id, hello.id])
        #expect(try ids("HEL") == [node.id, hello.id])
        #expect(try ids("hello world") == [hello.id])
        #expect(try ids("order") == [sql.id])
        #expect(try ids("   ") == [sql.id, node.id, hello.id])
        #expect(try ids("python") == [])
    }

    @Test(
        "FTS syntax in q is searched as words or ignored, never an operator or an error",
        arguments: [
            ("\"", 0), ("*", 0), ("NEAR(", 0), ("NEAR(print hello)", 0), ("select OR", 1), ("print OR console", 0), ("print OR", 0),
            ("hello\" OR \"x", 0), ("code:print", 0), ("-print", 1), ("^print", 1), ("print*", 1), ("NOT console", 0),
            ("(print)", 1), ("{code}: x", 0), ("print AND", 0),
        ])
    func injection(query: String, expectedCount: Int) throws {
        let fixture = try Fixture()
        try fixture.insert("print('hello world')", second: 1)
        try fixture.insert("console.log('hello')", second: 2)
        try fixture.insert("SELECT 1 ORDER BY 1", second: 3)
        let page = try fixture.store.history(username: "alice", filters: HistoryFilter(query: query), page: PageRequest())
        #expect(page.items.count == expectedCount)
    }

    @Test("an over-long q is refused as a validation error on q")
    func longQuery() throws {
        let fixture = try Fixture()
        let query = String(repeating: "a ", count: JobStore.maximumQueryCharacters)
        #expect(throws: APIError.validation(field: "q", "q is longer than 1000 characters.")) {
            try fixture.store.history(username: "alice", filters: HistoryFilter(query: query), page: PageRequest())
        }
    }

    @Test("a history item encodes flat: every result key plus username, code and file")
    func itemEncoding() throws {
        let fixture = try Fixture()
        try fixture.insert("print(1)", second: 1)
        let item = try #require(try fixture.store.history(username: "alice", filters: HistoryFilter(), page: PageRequest()).items.first)
        let object = try #require(JSONSerialization.jsonObject(with: JSON.encoder.encode(item)) as? [String: Any])
        #expect(Set(object.keys) == RunResultTests.allKeys.union(["username", "code", "file"]))
        #expect(object["code"] as? String == "print(1)")
        #expect(object["file"] is NSNull)
        #expect(try JSONDecoder().decode(HistoryItem.self, from: JSON.encoder.encode(item)) == item)
    }
}
