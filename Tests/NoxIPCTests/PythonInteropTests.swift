import Foundation
import NoxIPC
import Testing

/// Python's `varlink` package as a foreign peer, both ways.
@Suite("Varlink interop with Python", .timeLimit(.minutes(1)))
struct PythonInteropTests {
    @Test("Python's varlink client talks to our server: GetInfo, interface descriptions, calls, more, oneway and errors")
    func pythonClientAgainstOurServer() async throws {
        try await withTestServer { server throws in
            let result = try await PythonProcess.run(
                "client_against_swift.py",
                arguments: [
                    server.path,
                    TestPaths.testInterfaceFile.path,
                    TestPaths.interfacesDirectory.appendingPathComponent("io.nox.Auth.varlink").path,
                ],
                in: (server.path as NSString).deletingLastPathComponent
            )
            #expect(result.status == 0, "\(result.output)")
            #expect(result.output.contains("OK"), "\(result.output)")
        }
    }

    @Test("our client talks to Python's varlink server")
    func ourClientAgainstPythonServer() async throws {
        try await withTemporaryDirectory { directory in
            let path = directory + "/python.varlink"
            try await PythonProcess.withServer("server_for_swift.py", socketPath: path, in: directory) {
                try await withTimeout(.seconds(30)) {
                    let client = VarlinkClient(path: path, configuration: .init(callTimeout: .seconds(10)))

                    let info = try await client.call("org.varlink.service.GetInfo")
                    #expect(info["product"] == "noxipc-test-peer")
                    #expect(info["interfaces"]?.arrayValue?.contains("io.nox.Test") == true)
                    let description = try await client.call(
                        "org.varlink.service.GetInterfaceDescription", parameters: ["interface": "io.nox.Test"]
                    )
                    #expect(description["description"]?.stringValue == (try TestPaths.read(TestPaths.testInterfaceFile)))

                    let echo = try await client.call("io.nox.Test.Echo", parameters: ["text": "hé \"x\"", "number": 5])
                    #expect(echo == ["text": "hé \"x\"", "number": 5])
                    let sum = try await client.call("io.nox.Test.Add", parameters: AddParameters(a: 40, b: 2), returning: SumReply.self)
                    #expect(sum == SumReply(sum: 42))

                    var indices: [Int] = []
                    for try await reply in try await client.callMore("io.nox.Test.Count", parameters: ["count": 3]) {
                        indices.append(try #require(reply["index"]?.intValue))
                    }
                    #expect(indices == [0, 1, 2])

                    await #expect(throws: VarlinkError(name: "io.nox.Test.TestFailure", parameters: ["reason": "python"])) {
                        try await client.call("io.nox.Test.Fail", parameters: ["reason": "python"])
                    }
                    await #expect(throws: VarlinkError.interfaceNotFound("io.nox.Nothing")) {
                        try await client.call("io.nox.Nothing.Method")
                    }

                    try await client.oneway("io.nox.Test.Note", parameters: ["text": "from swift"])
                    #expect(try await client.call("io.nox.Test.Notes") == ["notes": ["from swift"]])

                    let me = PeerCredentials.current
                    let whoAmI = try await client.call("io.nox.Test.WhoAmI")
                    #expect(whoAmI["peer"] == ["pid": .int(Int(me.pid)), "uid": .int(Int(me.uid)), "gid": .int(Int(me.gid))])

                    // Pipelined calls from several tasks on one connection.
                    try await withThrowingTaskGroup(of: Void.self) { group in
                        for index in 0..<20 {
                            group.addTask {
                                let reply = try await client.call("io.nox.Test.Add", parameters: ["a": .int(index), "b": 0])
                                #expect(reply == ["sum": .int(index)])
                            }
                        }
                        try await group.waitForAll()
                    }
                    await client.close()
                }
            }
        }
    }
}
