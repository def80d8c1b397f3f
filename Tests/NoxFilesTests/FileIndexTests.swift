import CDispatch  // where the compiler finds `struct stat` once NoxRuntime is in the graph (MemberImportVisibility)
import Foundation
import Glibc
import NoxTestSupport
import Testing

@testable import NoxFiles

/// A sandbox fixture (with its victim directory beside it) and an index database outside it.
final class IndexFixture {
    let sandbox: SandboxFixture
    let index: FileIndex
    let reads: ReadLog

    init(maximumContentBytes: Int64 = 1 << 20, snippetCharacters: Int = 200) throws {
        sandbox = try SandboxFixture(.openat2)
        let reads = ReadLog()
        var options = FileIndex.Options(maximumContentBytes: maximumContentBytes, snippetCharacters: snippetCharacters)
        options.onRead = { reads.record($0.string) }
        index = try FileIndex(path: sandbox.temporary.path + "/index.sqlite", options: options)
        self.reads = reads
    }

    func sync() throws { try index.sync(with: sandbox.sandbox) }

    func search(_ query: String, under: String = "", limit: Int = 50) throws -> [SearchHit] {
        try index.search(query: query, under: path(under), limit: limit)
    }
}

/// The paths the index opened to read.
final class ReadLog: @unchecked Sendable {
    private let lock = NSLock()
    private var paths: [String] = []
    func record(_ path: String) { lock.withLock { paths.append(path) } }
    func take() -> [String] {
        lock.withLock {
            defer { paths = [] }; return paths.sorted()
        }
    }
}

/// The highlighted parts of a hit's snippet.
func highlighted(_ hit: SearchHit) -> [String] {
    let characters = Array(hit.snippet)
    return hit.highlights.map { String(characters[$0[0]..<$0[1]]) }
}

@Suite("File index")
struct FileIndexTests {
    @Test("content hits carry path, 1-based line, trimmed snippet and highlights of every term")
    func content() throws {
        let fixture = try IndexFixture()
        try fixture.sandbox.put("src/main.py", "import os\n\n    print('Hello World')  \r\nhello again, HELLO\nnothing\n")
        try fixture.sandbox.put("notes.txt", "unrelated")
        try fixture.sync()

        let hits = try fixture.search("hello")
        #expect(hits.map(\.path) == ["src/main.py", "src/main.py"])
        #expect(hits.map(\.line) == [3, 4])
        #expect(hits[0].snippet == "print('Hello World')")
        #expect(hits[0].highlights == [[7, 12]])
        #expect(hits[1].snippet == "hello again, HELLO")
        #expect(hits[1].highlights == [[0, 5], [13, 18]])

        // Two terms: the file must contain both; each line with either is a hit, both highlighted.
        let both = try fixture.search("world import")
        #expect(both.map(\.line) == [1, 3])
        #expect(highlighted(both[0]) == ["import"])
        #expect(highlighted(both[1]) == ["World"])
        #expect(try fixture.search("world unrelated").isEmpty)

        // Terms match word prefixes; highlights cover the term's part of the word.
        let prefix = try fixture.search("hel")
        #expect(highlighted(prefix[1]) == ["hel", "HEL"])
    }

    @Test("highlights are Character offsets, long lines are cut around the first match")
    func offsets() throws {
        let fixture = try IndexFixture(snippetCharacters: 40)
        let long = String(repeating: "filler ", count: 100) + "needle" + String(repeating: " tail", count: 100)
        try fixture.sandbox.put("long.txt", "héllo wörld 👩‍👩‍👧 café needle\n" + long + "\n")
        try fixture.sync()
        let hits = try fixture.search("needle CAFÉ")
        #expect(hits.count == 2)
        #expect(hits[0].line == 1)
        #expect(highlighted(hits[0]) == ["café", "needle"])
        #expect(hits[0].highlights == [[14, 18], [19, 25]])  // the family emoji is one Character
        #expect(hits[1].line == 2)
        #expect(hits[1].snippet.count == 40)
        #expect(hits[1].snippet.contains("needle"))
        #expect(highlighted(hits[1]) == ["needle"])
    }

    @Test("file names are searchable: a hit with no line, the name as snippet")
    func names() throws {
        let fixture = try IndexFixture()
        try fixture.sandbox.put("reports/quarterly_report-2024.csv", "a,b\n1,2\n")
        try fixture.sync()
        let hits = try fixture.search("report 2024")
        #expect(
            hits == [
                SearchHit(
                    path: "reports/quarterly_report-2024.csv", line: nil, snippet: "quarterly_report-2024.csv", highlights: [[10, 16], [17, 21]])
            ])
        // A directory's name alone does not make its files match.
        #expect(try fixture.search("reports").isEmpty)
        #expect(try fixture.search("quarterly").first?.line == nil)
        // Encoded as API.md's `line?`: no key for name hits.
        let json = String(decoding: try JSONEncoder().encode(hits[0]), as: UTF8.self)
        #expect(!json.contains("line"))
    }

    @Test("binary and oversized files are indexed by name only")
    func skipped() throws {
        let fixture = try IndexFixture(maximumContentBytes: 64)
        try fixture.sandbox.put("text.txt", "findme here")
        try Data("findme".utf8 + [0, 1, 2]).write(to: URL(fileURLWithPath: fixture.sandbox.root + "/nul.bin"))
        try Data("findme ".utf8 + [0xFF, 0xFE]).write(to: URL(fileURLWithPath: fixture.sandbox.root + "/latin.txt"))
        try fixture.sandbox.put("big.log", "findme " + String(repeating: "x", count: 100))
        try fixture.sync()
        #expect(try fixture.search("findme").map(\.path) == ["text.txt"])
        #expect(try fixture.search("nul").map(\.path) == ["nul.bin"])
        #expect(try fixture.search("latin").map(\.path) == ["latin.txt"])
        #expect(try fixture.search("big log").map(\.path) == ["big.log"])
        let counts = try fixture.index.counts()
        #expect(counts.files == 4 && counts.text == 1)
    }

    @Test("a file changed on disk behind the index's back is found after sync; a deleted one disappears")
    func rescan() throws {
        let fixture = try IndexFixture()
        try fixture.sandbox.put("run/out.txt", "first version")
        try fixture.sandbox.put("gone.txt", "ephemeral words")
        try fixture.sync()
        #expect(try fixture.search("ephemeral").count == 1)

        // As a run would: rewritten in place, a file deleted, one created.
        try fixture.sandbox.put("run/out.txt", "secnd versionX")
        unlink(fixture.sandbox.root + "/gone.txt")
        try fixture.sandbox.put("run/new.txt", "brand new")
        #expect(try fixture.search("secnd").isEmpty)  // not yet: search does not rescan
        let summary = try fixture.index.sync(with: fixture.sandbox.sandbox)
        #expect(summary == FileIndex.SyncSummary(indexed: 2, removed: 1, unchanged: 0))
        #expect(try fixture.search("secnd").map(\.path) == ["run/out.txt"])
        #expect(try fixture.search("first").isEmpty)
        #expect(try fixture.search("ephemeral").isEmpty)
        #expect(try fixture.search("gone").isEmpty)
        #expect(try fixture.search("brand").map(\.path) == ["run/new.txt"])
    }

    @Test("unchanged files are not read again; a replaced file (new inode) is")
    func unchangedNotReread() throws {
        let fixture = try IndexFixture()
        for index in 0..<20 { try fixture.sandbox.put("dir/f\(index).txt", "content \(index)") }
        try fixture.sync()
        #expect(fixture.reads.take().count == 20)
        let summary = try fixture.index.sync(with: fixture.sandbox.sandbox)
        #expect(summary == FileIndex.SyncSummary(indexed: 0, removed: 0, unchanged: 20))
        #expect(fixture.reads.take().isEmpty)

        // Replaced atomically with the same size and the old mtime: only the inode tells.
        let target = fixture.sandbox.root + "/dir/f3.txt"
        var old = stat()
        lstat(target, &old)
        try "CONTENT 9".write(toFile: fixture.sandbox.root + "/tmp", atomically: false, encoding: .utf8)
        var times = [old.st_atim, old.st_mtim]
        #expect(utimensat(AT_FDCWD, fixture.sandbox.root + "/tmp", &times, 0) == 0)
        #expect(rename(fixture.sandbox.root + "/tmp", target) == 0)
        try fixture.sync()
        #expect(fixture.reads.take() == ["dir/f3.txt"])
        #expect(try fixture.search("content 9").map(\.path) == ["dir/f3.txt", "dir/f9.txt"].sorted())
    }

    @Test("update and remove after changes made through the API")
    func updateAndRemove() throws {
        let fixture = try IndexFixture()
        try fixture.sandbox.put("a/one.txt", "alpha")
        try fixture.sandbox.put("a/b/two.txt", "alpha beta")
        try fixture.sandbox.put("keep.txt", "alpha")
        try fixture.sync()
        try fixture.sandbox.put("a/one.txt", "gamma")
        try fixture.index.update(path: path("a/one.txt"), in: fixture.sandbox.sandbox)
        #expect(try fixture.search("gamma").map(\.path) == ["a/one.txt"])
        // A directory: everything beneath it is re-synced.
        try fixture.sandbox.put("a/b/three.txt", "delta")
        try fixture.index.update(path: path("a"), in: fixture.sandbox.sandbox)
        #expect(try fixture.search("delta").map(\.path) == ["a/b/three.txt"])
        // Updating a path that is gone removes it.
        unlink(fixture.sandbox.root + "/a/b/three.txt")
        try fixture.index.update(path: path("a/b/three.txt"), in: fixture.sandbox.sandbox)
        #expect(try fixture.search("delta").isEmpty)
        // Removing a directory drops everything beneath it, not a sibling sharing its prefix.
        try fixture.sandbox.put("ab.txt", "alpha")
        try fixture.index.update(path: path("ab.txt"), in: fixture.sandbox.sandbox)
        try fixture.index.remove(path: path("a"))
        #expect(Set(try fixture.search("alpha").map(\.path)) == ["ab.txt", "keep.txt"])
    }

    @Test("under: limits results to a directory, not to a name prefix")
    func under() throws {
        let fixture = try IndexFixture()
        try fixture.sandbox.put("proj/x.txt", "token")
        try fixture.sandbox.put("proj/sub/y.txt", "token")
        try fixture.sandbox.put("project/z.txt", "token")
        try fixture.sandbox.put("w.txt", "token")
        try fixture.sync()
        #expect(try fixture.search("token", under: "proj").map(\.path).sorted() == ["proj/sub/y.txt", "proj/x.txt"])
        #expect(try fixture.search("token", under: "proj/sub").map(\.path) == ["proj/sub/y.txt"])
        #expect(try fixture.search("token", under: "/").count == 4)
        #expect(try fixture.search("token", under: "nowhere").isEmpty)
    }

    @Test("ordering by relevance then path; limit bounds the hits")
    func orderingAndLimit() throws {
        let fixture = try IndexFixture()
        try fixture.sandbox.put("b.txt", "word")
        try fixture.sandbox.put("a.txt", "word")
        try fixture.sandbox.put("c.txt", String(repeating: "other text here\n", count: 50) + "word\n")
        try fixture.sandbox.put("many.txt", (1...30).map { "word \($0)" }.joined(separator: "\n"))
        try fixture.sync()
        let hits = try fixture.search("word", limit: 1000)
        #expect(hits.count == 33)
        let order = hits.map(\.path).reduce(into: [String]()) { if $0.last != $1 { $0.append($1) } }
        // bm25: many occurrences first, a lone term drowned in a long file last, equal scores by path.
        #expect(order == ["many.txt", "a.txt", "b.txt", "c.txt"])
        #expect(hits.filter { $0.path == "many.txt" }.map(\.line) == Array(1...30))
        #expect(try fixture.search("word", limit: 5).count == 5)
        #expect(try fixture.search("word", limit: 0).count == 1)
    }

    @Test("hostile queries never reach FTS5 as syntax")
    func hostileQueries() throws {
        let fixture = try IndexFixture()
        try fixture.sandbox.put("doc.txt", "a OR b and near x y; NEAR(x y) NOT z \"quoted\" col:umn 日本語テキスト")
        try fixture.sandbox.put("other.txt", "b only")
        try fixture.sync()
        let queries = [
            "\"", "\"\"", "*", "AND", "AND (", "a OR b", "NEAR(x y)", "NEAR", "NOT", "x NOT z", "^a", "-b", "+b",
            "name:doc", "content : b", "{name content}: b", "col:umn", "\"unterminated", "a\"b", "(((", ")",
            "日本語", "🙂", "e\u{301}", "\u{0}", "'; DROP TABLE files; --", String(repeating: "x y ", count: 250),
        ]
        for query in queries {
            #expect(throws: Never.self, "\(query.prefix(40))") { try fixture.search(query) }
        }
        // Operators are words: `a OR b` needs both words (AND), so other.txt (no `a`) is out.
        #expect(try fixture.search("a OR b").map(\.path) == ["doc.txt"])
        #expect(try fixture.search("NOT z").map(\.path) == ["doc.txt"])
        #expect(try fixture.search("name:doc").isEmpty)  // the words `name` and `doc`: no column filter
        #expect(try fixture.search("col:umn").map(\.path) == ["doc.txt"])
        #expect(try fixture.search("日本語").map(\.path) == ["doc.txt"])
        #expect(try fixture.search("*").isEmpty)
        #expect(try fixture.search("\"").isEmpty)
        // The 10 KB query and the empty one are refused with a typed error (the daemon's 422).
        #expect(throws: FileIndexError(.queryTooLong, "The search query is longer than 1000 characters.")) {
            try fixture.search(String(repeating: "a OR NEAR( \" ", count: 800))
        }
        for empty in ["", "   ", "\n\t"] {
            #expect(throws: FileIndexError(.emptyQuery, "The search query is empty.")) { try fixture.search(empty) }
        }
        #expect(FileIndexError(.emptyQuery, "").httpStatus == 422)
    }

    @Test("planted symlinks are never followed: their targets' content is not indexed")
    func symlinks() throws {
        let fixture = try IndexFixture()
        try fixture.sandbox.put("real/file.txt", "real words")
        fixture.sandbox.symlink("leak.txt", to: fixture.sandbox.victim + "/secret.txt")
        fixture.sandbox.symlink("evil", to: fixture.sandbox.victim)
        fixture.sandbox.symlink("real/up", to: "../../victim")
        fixture.sandbox.symlink("inside.txt", to: "real/file.txt")
        try fixture.sync()
        #expect(try fixture.search("victim secret").isEmpty)
        #expect(try fixture.search("inner").isEmpty)
        #expect(try fixture.search("only here").isEmpty)
        #expect(try fixture.search("leak").isEmpty)
        #expect(try fixture.search("real").map(\.path) == ["real/file.txt"])
        #expect(try fixture.index.counts().files == 1)
        #expect(fixture.reads.take() == ["real/file.txt"])

        // A file later swapped for a symlink (as a run could) is dropped, not followed.
        unlink(fixture.sandbox.root + "/real/file.txt")
        fixture.sandbox.symlink("real/file.txt", to: fixture.sandbox.victim + "/secret.txt")
        try fixture.sync()
        #expect(try fixture.index.counts().files == 0)
        #expect(try fixture.search("secret").isEmpty)
        // update() on a symlink drops it as well.
        try fixture.index.update(path: path("leak.txt"), in: fixture.sandbox.sandbox)
        #expect(try fixture.search("secret").isEmpty)
        #expect(fixture.sandbox.victimIsUntouched())
    }

    @Test("the index survives reopening and skips in-flight temporary files")
    func reopen() throws {
        let fixture = try IndexFixture()
        try fixture.sandbox.put("kept.txt", "persistent")
        try fixture.sandbox.put(SandboxDirectory.temporaryPrefix + "123", "persistent")
        try fixture.sync()
        let reopened = try FileIndex(path: fixture.sandbox.temporary.path + "/index.sqlite")
        #expect(try reopened.search(query: "persistent").map(\.path) == ["kept.txt"])
        #expect(try reopened.sync(with: fixture.sandbox.sandbox).unchanged == 1)
    }
}
