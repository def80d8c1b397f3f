import Foundation
import NoxIPC
import Testing

@Suite("Varlink client", .timeLimit(.minutes(1)))
struct ClientTests {
    @Test("many tasks can share one client; each gets its own reply")
    func concurrentCalls() async throws {
        try await withTestServer { server throws in
            let client = server.client()
            try await withThrowingTaskGroup(of: Void.self) { group in
                for index in 0..<100 {
                    group.addTask {
                        let reply = try await client.call(
                            "io.nox.Test.Add", parameters: AddParameters(a: index, b: 1), returning: SumReply.self
                        )
                        #expect(reply.sum == index + 1)
                    }
                }
                try await group.waitForAll()
            }
            #expect(server.server.activeConnectionCount == 1)
        }
    }

    @Test("the client reconnects after the server closed its idle connection")
    func reconnectAfterServerIdleClose() async throws {
        // Generous against a loaded machine: the first call must arrive before the idle timeout.
        try await withTestServer(configuration: .init(idleTimeout: .milliseconds(500))) { server throws in
            let client = server.client()
            #expect(try await client.call("io.nox.Test.Add", parameters: ["a": 1, "b": 1]) == ["sum": 2])
            try await Task.sleep(for: .milliseconds(1500))
            #expect(server.server.activeConnectionCount == 0)
            #expect(try await client.call("io.nox.Test.Add", parameters: ["a": 2, "b": 2]) == ["sum": 4])
        }
    }

    @Test("the client reconnects after the server restarted")
    func reconnectAfterRestart() async throws {
        try await withTemporaryDirectory { directory in
            let path = directory + "/restart.varlink"
            let client = VarlinkClient(path: path)
            for round in 1...2 {
                let server = try VarlinkServer(info: .test, interfaces: [makeTestInterface()], logger: testLogger())
                try await withTimeout {
                    try await withThrowingTaskGroup(of: Void.self) { group in
                        let (listening, continuation) = AsyncStream.makeStream(of: Void.self)
                        group.addTask { try await server.run(listeningOn: .path(path)) { continuation.finish() } }
                        for await _ in listening {}
                        #expect(try await client.call("io.nox.Test.Add", parameters: ["a": .int(round), "b": 0]) == ["sum": .int(round)])
                        group.cancelAll()
                        try await group.waitForAll()
                    }
                }
            }
        }
    }

    @Test("the client closes its idle connection")
    func clientIdleClose() async throws {
        try await withTestServer { server throws in
            let client = server.client(configuration: .init(idleTimeout: .milliseconds(300)))
            _ = try await client.call("org.varlink.service.GetInfo")
            // The client's idle close reaches the server a little later; poll for it.
            for _ in 0..<250 where server.server.activeConnectionCount > 0 {
                try await Task.sleep(for: .milliseconds(20))
            }
            #expect(server.server.activeConnectionCount == 0)
            _ = try await client.call("org.varlink.service.GetInfo")
        }
    }

    @Test("a call without a reply in time fails with a timeout")
    func callTimeout() async throws {
        try await withTestServer { server throws in
            let client = server.client(configuration: .init(callTimeout: .seconds(1)))
            let error = await #expect(throws: NoxIPCError.self) {
                try await client.call("io.nox.Test.Sleep", parameters: ["milliseconds": 5000])
            }
            #expect(error?.code == .timeout)
            // The next call works on a new connection.
            #expect(try await client.call("io.nox.Test.Add", parameters: ["a": 1, "b": 1]) == ["sum": 2])
        }
    }

    @Test("connecting to a socket that does not exist fails at once")
    func connectFailure() async throws {
        try await withTemporaryDirectory { directory in
            let error = await #expect(throws: NoxIPCError.self) {
                try await VarlinkClient(path: directory + "/nothing").call("org.varlink.service.GetInfo")
            }
            #expect(error?.code == .connectionFailed)
        }
    }

    @Test("a reply over the client's maximum frame size fails the call")
    func oversizeReply() async throws {
        try await withTestServer { server throws in
            let client = server.client(configuration: .init(maximumFrameSize: 256))
            let error = await #expect(throws: NoxIPCError.self) {
                try await client.call("io.nox.Test.Echo", parameters: ["text": .string(String(repeating: "x", count: 1000))])
            }
            #expect(error?.code == .frameTooLarge)
            #expect(try await client.call("io.nox.Test.Echo", parameters: ["text": "short"]) == ["text": "short"])
        }
    }

    @Test("ending a more stream early closes its connection and leaves the client usable")
    func streamEndedEarly() async throws {
        try await withTestServer { server throws in
            let client = server.client()
            let stream = try await client.callMore("io.nox.Test.Count", parameters: ["count": 1000])
            for try await reply in stream {
                #expect(reply["index"] == 0)
                break
            }
            #expect(try await client.call("io.nox.Test.Add", parameters: ["a": 1, "b": 1]) == ["sum": 2])
        }
    }

    @Test("a more call answered with an error ends the stream with it")
    func streamError() async throws {
        try await withTestServer { server throws in
            let stream = try await server.client().callMore("io.nox.Test.Fail", parameters: ["reason": "stream"])
            await #expect(throws: VarlinkError(name: "io.nox.Test.TestFailure", parameters: ["reason": "stream"])) {
                for try await _ in stream {}
            }
        }
    }

    @Test("a closed client refuses further calls")
    func closedClient() async throws {
        try await withTestServer { server throws in
            let client = try await VarlinkClient.connect(path: server.path)
            await client.close()
            let error = await #expect(throws: NoxIPCError.self) {
                try await client.call("org.varlink.service.GetInfo")
            }
            #expect(error?.code == .clientClosed)
        }
    }

    @Test("a cancelled call returns at once")
    func cancelledCall() async throws {
        try await withTestServer { server throws in
            let client = server.client()
            let task = Task { try await client.call("io.nox.Test.Sleep", parameters: ["milliseconds": 20000]) }
            try await Task.sleep(for: .milliseconds(100))
            task.cancel()
            await #expect(throws: CancellationError.self) { try await task.value }
        }
    }
}
