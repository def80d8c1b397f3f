import Foundation
import GRDB
import HTTPTypes
import Hummingbird
import NIOCore
import NoxRuntime
import NoxTestSupport
import Testing

@testable import NoxFiles

@Suite("Backup records")
struct BackupStoreTests {
    /// A store in a fresh database file, opened as the daemon opens its own.
    final class StoreFixture {
        let temporary: TemporaryDirectory
        let store: BackupStore
        let pool: DatabasePool

        init() throws {
            temporary = try TemporaryDirectory()
            var migrator = DatabaseMigrator()
            BackupStore.registerMigrations(in: &migrator)
            pool = try NoxDatabase.openPool(at: temporary.path + "/files.sqlite", migrator: migrator)
            store = BackupStore(database: pool)
        }

        deinit { temporary.remove() }
    }

    /// alice's backup `index`, `index` seconds after a fixed time (so order is known).
    static func record(_ index: Int, user: String = "alice", secondsLater: Double? = nil) -> BackupRecord {
        BackupRecord(
            username: user, size: Int64(index * 100), sha256: String(repeating: "a", count: 64), fileCount: index,
            createdAt: Date(timeIntervalSince1970: 1_767_323_045.678 + (secondsLater ?? Double(index))))
    }

    /// The page a client gets for `?limit=&cursor=`, through the API's own query parsing.
    static func pageRequest(limit: Int, cursor: String?) throws -> PageRequest {
        let query = "/api/backups?limit=\(limit)" + (cursor.map { "&cursor=\($0)" } ?? "")
        let request = Request(head: HTTPRequest(method: .get, scheme: "http", authority: "nox", path: query), body: RequestBody(buffer: ByteBuffer()))
        return try PageRequest(from: request)
    }

    @Test("a listing pages newest first through opaque cursors, ties broken by id, other users left out")
    func pagination() throws {
        let fixture = try StoreFixture()
        // Seven of alice's, two sharing one millisecond right at the first page boundary; two of bob's.
        var records = (1...7).map { Self.record($0) }
        records[3] = Self.record(4, secondsLater: 5)
        for record in records + [Self.record(8, user: "bob"), Self.record(9, user: "bob")] { try fixture.store.insert(record) }

        var pages: [[BackupRecord]] = []
        var cursor: String?
        repeat {
            let page = try fixture.store.list(username: "alice", page: Self.pageRequest(limit: 3, cursor: cursor))
            pages.append(page.items)
            cursor = page.next_cursor
        } while cursor != nil && pages.count < 10
        #expect(pages.map(\.count) == [3, 3, 1])
        let listed = pages.flatMap { $0 }
        let expected = records.sorted { ($0.createdAt, $0.id) > ($1.createdAt, $1.id) }
        #expect(listed == expected)
        #expect(Set(listed.map(\.id)).count == 7)
        #expect(listed.allSatisfy { $0.username == "alice" })
    }

    @Test("a cursor that is not one of ours is a validation error")
    func badCursor() throws {
        let fixture = try StoreFixture()
        #expect(throws: APIError.self) { try fixture.store.list(username: "alice", page: PageRequest(limit: 3, cursor: "garbage")) }
    }

    @Test("find, delete and deleteAll see only the caller's records")
    func scopedToUser() throws {
        let fixture = try StoreFixture()
        let alices = Self.record(1)
        let bobs = Self.record(2, user: "bob")
        try fixture.store.insert(alices)
        try fixture.store.insert(bobs)
        #expect(try fixture.store.find(id: alices.id, username: "alice") == alices)
        #expect(try fixture.store.find(id: bobs.id, username: "alice") == nil)
        #expect(try fixture.store.delete(id: bobs.id, username: "alice") == false)
        #expect(try fixture.store.find(id: bobs.id, username: "bob") == bobs)
        #expect(try fixture.store.delete(id: alices.id, username: "alice"))
        #expect(try fixture.store.find(id: alices.id, username: "alice") == nil)

        try fixture.store.insert(Self.record(3, user: "bob"))
        #expect(try fixture.store.deleteAll(username: "bob").map(\.fileCount) == [2, 3])
        #expect(try fixture.store.list(username: "bob", page: PageRequest()).items.isEmpty)
    }

    @Test("oldest(beyond:) returns what is past the newest N, for pruning")
    func oldestBeyond() throws {
        let fixture = try StoreFixture()
        for index in 1...5 { try fixture.store.insert(Self.record(index)) }
        try fixture.store.insert(Self.record(6, user: "bob"))
        #expect(try fixture.store.oldest(username: "alice", beyond: 3).map(\.fileCount) == [2, 1])
        #expect(try fixture.store.oldest(username: "alice", beyond: 5).isEmpty)
        #expect(try fixture.store.oldest(username: "alice", beyond: 0).count == 5)
    }

    @Test("a record encodes as the API's {id, size, sha256, created_at, file_count}, without the owner")
    func json() throws {
        let record = Self.record(0)
        #expect(record.createdAt == "2026-01-02T03:04:05.678Z")
        #expect(record.id.hasPrefix("bk_") && record.id.count == 3 + 32)
        #expect(record.id != BackupRecord.newID())
        let object = try JSONSerialization.jsonObject(with: JSONEncoder().encode(record)) as? [String: Any]
        #expect(Set((object ?? [:]).keys) == ["id", "size", "sha256", "created_at", "file_count"])
        #expect(object?["created_at"] as? String == "2026-01-02T03:04:05.678Z")
        var decoded = try JSONDecoder().decode(BackupRecord.self, from: JSONEncoder().encode(record))
        #expect(decoded.username == "")
        decoded.username = record.username
        #expect(decoded == record)
        #expect(BackupRecord.timestamp(Date(timeIntervalSince1970: 0.0009)) == "1970-01-01T00:00:00.000Z")
    }

    @Test("the migration makes the table and its (username, created_at) index")
    func migration() throws {
        let fixture = try StoreFixture()
        let index = try fixture.pool.read { db in
            try String.fetchOne(db, sql: "SELECT sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'backups' AND sql IS NOT NULL")
        }
        #expect(index?.contains("(username, created_at)") == true)
    }
}
