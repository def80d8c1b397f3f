import Testing

@testable import NoxCtl

@Suite struct SSEParserTests {
    static let stream =
        "event: stdout\ndata: {\"data\":\"hé\"}\n\n: keep-alive\n\nevent: status\ndata: {\"status\":\ndata: \"ok\"}\n leading-space: ignored\nid: 7\n\n"

    @Test func parsesEventsWholeAndIgnoresComments() {
        var parser = SSEParser()
        let events = parser.feed(Array(Self.stream.utf8))
        #expect(
            events == [
                SSEEvent(event: "stdout", data: "{\"data\":\"hé\"}"),
                SSEEvent(event: "status", data: "{\"status\":\n\"ok\"}", id: "7"),
            ])
    }

    @Test(arguments: [1, 2, 3, 5, 7, 64])
    func eventsCutAnywhereComeOutTheSame(chunkSize: Int) {
        var parser = SSEParser()
        let bytes = Array(Self.stream.utf8)
        var events: [SSEEvent] = []
        var index = 0
        while index < bytes.count {
            events += parser.feed(bytes[index..<min(bytes.count, index + chunkSize)])
            index += chunkSize
        }
        var whole = SSEParser()
        #expect(events == whole.feed(bytes))
        #expect(events.count == 2)
    }

    @Test func crlfAndCRLineEndsAndDefaultEventName() {
        var parser = SSEParser()
        #expect(parser.feed(Array("data: a\r\ndata: b\r\n\r\ndata:c\r\r".utf8)) == [SSEEvent(data: "a\nb"), SSEEvent(data: "c")])
    }

    @Test func anEventWithoutDataIsNotDispatchedAndAnIncompleteOneWaits() {
        var parser = SSEParser()
        #expect(parser.feed(Array("event: x\n\ndata: y".utf8)).isEmpty)
        #expect(parser.feed(Array("\n\n".utf8)) == [SSEEvent(data: "y")])
    }
}
