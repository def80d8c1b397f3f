import Foundation
import Testing

@testable import NoxFiles

/// The small parsers of nox-files' HTTP layer.
@Suite struct HTTPPiecesTests {
    @Test(arguments: [
        (nil, 100, ByteRange.whole),
        ("bytes=0-9", 100, .partial(0..<10)),
        ("bytes=90-", 100, .partial(90..<100)),
        ("bytes=-10", 100, .partial(90..<100)),
        ("bytes=-500", 100, .partial(0..<100)),
        ("bytes=50-5000", 100, .partial(50..<100)),
        ("bytes=100-", 100, .unsatisfiable),
        ("bytes=-0", 100, .unsatisfiable),
        ("bytes=0-", 0, .unsatisfiable),
        ("bytes=5-1", 100, .whole),
        ("bytes=0-1,5-6", 100, .whole),
        ("items=0-1", 100, .whole),
        ("bytes=x-1", 100, .whole),
    ] as [(String?, Int64, ByteRange)])
    func rangeHeader(header: String?, size: Int64, expected: ByteRange) {
        #expect(ByteRange.parse(header, size: size) == expected)
    }

    @Test func contentDispositionParameters() throws {
        let plain = try #require(HeaderParameters(#"form-data; name="files"; filename="a b.txt""#))
        #expect(plain.value == "form-data")
        #expect(plain.parameters["name"] == "files")
        #expect(plain.parameters["filename"] == "a b.txt")
        let escaped = try #require(HeaderParameters(#"form-data; name=files; filename="q\"uote;d.txt""#))
        #expect(escaped.parameters["filename"] == #"q"uote;d.txt"#)
        let extended = try #require(HeaderParameters("form-data; name=\"files\"; filename*=UTF-8''%C3%A9t%C3%A9.txt"))
        #expect(extended.parameters["filename*"] == "été.txt")
        let boundary = try #require(HeaderParameters("multipart/form-data; boundary=----abc123"))
        #expect(boundary.parameters["boundary"] == "----abc123")
        #expect(HeaderParameters("") == nil)
    }

    @Test(arguments: [
        ("a.txt", "a.txt"), ("../../x.txt", "x.txt"), (#"C:\Users\me\b.txt"#, "b.txt"), ("dir/", ""), ("..", ".."),
    ])
    func uploadFilenameKeepsLastComponent(filename: String, expected: String) {
        #expect(UploadCollector.lastComponent(filename) == expected)
    }

    @Test func contentTypeByExtension() {
        #expect(ContentTypes.forName("a.PY") == "text/x-python; charset=utf-8")
        #expect(ContentTypes.forName("noext") == "application/octet-stream")
        #expect(ContentTypes.forName(".bashrc") == "application/octet-stream")
        #expect(ContentTypes.forName("x.json") == "application/json")
    }

    @Test func httpDateIsIMFFixdate() {
        #expect(HTTPDate.format(Date(timeIntervalSince1970: 784_111_777)) == "Sun, 06 Nov 1994 08:49:37 GMT")
    }

    @Test func etagMatching() {
        #expect(FileDownload.matches("*", etag: "\"a\""))
        #expect(FileDownload.matches("\"b\", W/\"a\"", etag: "\"a\""))
        #expect(!FileDownload.matches("\"b\"", etag: "\"a\""))
    }
}

extension HTTPPiecesTests {
    @Test func browserFilenamesKeepTheirBackslashes() throws {
        let parsed = try #require(HeaderParameters(#"form-data; name="files"; filename="C:\Users\me\d.txt""#, backslashEscapes: false))
        #expect(UploadCollector.lastComponent(parsed.parameters["filename"] ?? "") == "d.txt")
    }
}
