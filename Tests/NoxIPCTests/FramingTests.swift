import InMemoryLogging
import Logging
import NoxIPC
import Testing

@Suite("Varlink framing", .timeLimit(.minutes(1)))
struct FramingTests {
    static let echo = Array(#"{"method":"io.nox.Test.Echo","parameters":{"text":"split"}}"#.utf8) + [0]

    @Test("a frame split over several writes is put back together")
    func splitFrame() async throws {
        try await withTestServer { server throws in
            try await RawConnection.with(path: server.path) { connection in
                for chunk in [Self.echo[0..<5], Self.echo[5..<30], Self.echo[30...]] {
                    try await connection.send(chunk)
                    try await Task.sleep(for: .milliseconds(30))
                }
                #expect(try await connection.readReply()?.parameters == ["text": "split"])
            }
        }
    }

    @Test("several frames in one write are each answered, in order")
    func severalFramesInOneWrite() async throws {
        try await withTestServer { server throws in
            try await RawConnection.with(path: server.path) { connection in
                let calls = (1...5).map { #"{"method":"io.nox.Test.Add","parameters":{"a":\#($0),"b":100}}"# }
                try await connection.send(calls.flatMap { Array($0.utf8) + [0] })
                for index in 1...5 {
                    #expect(try await connection.readReply()?.parameters == ["sum": .int(100 + index)])
                }
            }
        }
    }

    @Test("replies come in the order of the calls, even when the first is slow")
    func repliesInOrder() async throws {
        try await withTestServer { server throws in
            try await RawConnection.with(path: server.path) { connection in
                try await connection.send(frame: #"{"method":"io.nox.Test.Sleep","parameters":{"milliseconds":200}}"#)
                try await connection.send(frame: #"{"method":"io.nox.Test.Echo","parameters":{"text":"second"}}"#)
                #expect(try await connection.readReply()?.parameters == .emptyObject)
                #expect(try await connection.readReply()?.parameters == ["text": "second"])
            }
        }
    }

    @Test("a frame up to the maximum size is accepted")
    func frameAtLimit() async throws {
        try await withTestServer(configuration: .init(maximumFrameSize: 1024)) { server throws in
            let prefix = #"{"method":"io.nox.Test.Echo","parameters":{"text":""#
            let suffix = #""}}"#
            let text = String(repeating: "a", count: 1024 - prefix.utf8.count - suffix.utf8.count)
            try await RawConnection.with(path: server.path) { connection in
                try await connection.send(frame: prefix + text + suffix)
                #expect(try await connection.readReply()?.parameters?["text"]?.stringValue == text)
            }
        }
    }

    @Test("a frame over the maximum size closes the connection with an error logged", arguments: [false, true])
    func oversizeFrame(terminated: Bool) async throws {
        try await withTestServer(configuration: .init(maximumFrameSize: 1024)) { server throws in
            try await RawConnection.with(path: server.path) { connection in
                let frame = #"{"method":"io.nox.Test.Echo","parameters":{"text":""# + String(repeating: "a", count: 2000) + #""}}"#
                try await connection.send(Array(frame.utf8) + (terminated ? [0] : []))
                #expect(try await connection.readFrame() == nil)
            }
            // The server logs once its connection task has ended, just after the close we saw.
            try await eventually { server.logs.entries.contains { $0.level == .error && "\($0.message)".contains("frame too large") } }
            // The server goes on.
            #expect(try await server.client().call("io.nox.Test.Add", parameters: ["a": 1, "b": 2]) == ["sum": 3])
        }
    }

    @Test("a frame that is not a Varlink call closes the connection", arguments: ["{not json", #"{"parameters":{}}"#, "[1,2]", ""])
    func notVarlink(frame: String) async throws {
        try await withTestServer { server throws in
            try await RawConnection.with(path: server.path) { connection in
                try await connection.send(frame: frame)
                #expect(try await connection.readFrame() == nil)
            }
        }
    }

    @Test("a frame that does not complete within the read timeout closes the connection")
    func readTimeout() async throws {
        try await withTestServer(configuration: .init(readTimeout: .milliseconds(200))) { server throws in
            try await RawConnection.with(path: server.path) { connection in
                try await connection.send(Array(#"{"method":"io.nox.Te"#.utf8))
                let start = ContinuousClock.now
                #expect(try await connection.readFrame() == nil)
                #expect(ContinuousClock.now - start < .seconds(5))
            }
        }
    }

    @Test("a connection without a call in progress is closed after the idle timeout, not during a call")
    func idleTimeout() async throws {
        try await withTestServer(configuration: .init(idleTimeout: .milliseconds(300))) { server throws in
            try await RawConnection.with(path: server.path) { connection in
                // A call longer than the idle timeout is not cut off.
                try await connection.send(frame: #"{"method":"io.nox.Test.Sleep","parameters":{"milliseconds":600}}"#)
                #expect(try await connection.readReply()?.parameters == .emptyObject)
                let start = ContinuousClock.now
                #expect(try await connection.readFrame() == nil)
                #expect(ContinuousClock.now - start < .seconds(5))
            }
        }
    }
}
