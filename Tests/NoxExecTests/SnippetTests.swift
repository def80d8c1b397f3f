import Foundation
import NoxRuntime
import NoxTestSupport
import Testing

@testable import NoxExec

@Suite("Snippets")
struct SnippetTests {
    static func resolve(_ name: String) -> String? { ["python": "python", "py": "python"][name] }

    @Test("Names, tags and languages are checked; tags are deduplicated and sorted; aliases become names")
    func validation() throws {
        let fields = SnippetFields(name: "hello.v1", language: "py", description: "d", tags: ["b", "a", "b"], code: "print(1)", global: nil)
        let checked = try fields.validated(creating: true, resolve: Self.resolve)
        #expect(checked.language == "python")
        #expect(checked.tags == ["a", "b"])
        for bad in ["", "snp_x", "-x", "a b", String(repeating: "a", count: 65), "ü"] {
            #expect(throws: APIError.self) { try SnippetFields(name: bad, language: "py", code: "x").validated(creating: true, resolve: Self.resolve) }
        }
        #expect(throws: APIError.self) { try SnippetFields(name: "x", language: "cobol", code: "x").validated(creating: true, resolve: Self.resolve) }
        #expect(throws: APIError.self) { try SnippetFields(name: "x", language: "py", tags: ["Bad"], code: "x").validated(creating: true, resolve: Self.resolve) }
        #expect(throws: APIError.self) { try SnippetFields(name: "x", language: "py").validated(creating: true, resolve: Self.resolve) }
        #expect(throws: APIError.self) { try SnippetFields(global: true).validated(creating: false, resolve: Self.resolve) }
        #expect(try SnippetFields(description: "only this").validated(creating: false, resolve: Self.resolve).description == "only this")
    }

    @Test("A user sees their own and global snippets, finds by id or name (own first), and names are unique per owner")
    func store() throws {
        let temporary = try TemporaryDirectory()
        defer { temporary.remove() }
        let store = try SnippetStore(path: temporary.path + "/snippets.sqlite")
        let global = try store.create(owner: Snippet.globalOwner, name: "hello", language: "python", description: "greets", tags: ["demo"], code: "print('global')")
        let mine = try store.create(owner: "alice", name: "hello", language: "python", description: "", tags: [], code: "print('mine')")
        let bobs = try store.create(owner: "bob", name: "secret", language: "python", description: "", tags: [], code: "print('bob')")
        #expect(throws: APIError.self) { try store.create(owner: "alice", name: "hello", language: "python", description: "", tags: [], code: "x") }
        #expect(try store.find("hello", username: "alice")?.snippet.id == mine.id)
        #expect(try store.find("hello", username: "carol")?.snippet.id == global.id)
        #expect(try store.find(global.id, username: "alice")?.snippet.scope == "global")
        #expect(try store.find(bobs.id, username: "alice") == nil)
        #expect(try store.find("secret", username: "alice") == nil)

        var filter = SnippetStore.Filter()
        #expect(try store.list(username: "alice", filter: filter, page: PageRequest()).items.count == 2)
        filter.scope = .mine
        #expect(try store.list(username: "alice", filter: filter, page: PageRequest()).items.map(\.id) == [mine.id])
        filter = SnippetStore.Filter()
        filter.query = "global"
        #expect(try store.list(username: "alice", filter: filter, page: PageRequest()).items.map(\.id) == [global.id])
        filter = SnippetStore.Filter()
        filter.tag = "demo"
        #expect(try store.list(username: "alice", filter: filter, page: PageRequest()).items.map(\.id) == [global.id])
        let page = try store.list(username: "alice", filter: SnippetStore.Filter(), page: PageRequest(limit: 1))
        #expect(page.items.count == 1 && page.next_cursor != nil)

        let updated = try store.update(id: mine.id, fields: SnippetUpdate(code: "print('changed')"), username: "alice")
        #expect(updated?.code == "print('changed')" && updated?.name == "hello")
        filter = SnippetStore.Filter()
        filter.query = "changed"
        #expect(try store.list(username: "alice", filter: filter, page: PageRequest()).items.map(\.id) == [mine.id])
        #expect(try store.delete(id: mine.id))
        #expect(try store.find("hello", username: "alice")?.snippet.id == global.id)
    }
}
