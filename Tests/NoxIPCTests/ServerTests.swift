import Foundation
import InMemoryLogging
import Logging
import NoxIPC
import Testing

@Suite("Varlink server", .timeLimit(.minutes(1)))
struct ServerTests {
    @Test("GetInfo reports the service and its interfaces, org.varlink.service first")
    func getInfo() async throws {
        try await withTestServer { server throws in
            let info = try await server.client().call("org.varlink.service.GetInfo")
            #expect(
                info == [
                    "vendor": "Nox", "product": "noxipc-tests", "version": "0.0.1", "url": "https://example.org/nox",
                    "interfaces": ["org.varlink.service", "io.nox.Test", "io.nox.Auth"],
                ])
        }
    }

    @Test("GetInterfaceDescription serves the real .varlink text")
    func getInterfaceDescription() async throws {
        try await withTestServer { server throws in
            let client = server.client()
            let files = [
                "io.nox.Auth": TestPaths.interfacesDirectory.appendingPathComponent("io.nox.Auth.varlink"),
                "org.varlink.service": TestPaths.interfacesDirectory.appendingPathComponent("org.varlink.service.varlink"),
                "io.nox.Test": TestPaths.testInterfaceFile,
            ]
            for (name, file) in files {
                let reply = try await client.call("org.varlink.service.GetInterfaceDescription", parameters: ["interface": .string(name)])
                #expect(reply["description"]?.stringValue == (try TestPaths.read(file)), "\(name)")
            }
            await #expect(throws: VarlinkError.interfaceNotFound("io.nox.Nothing")) {
                try await client.call("org.varlink.service.GetInterfaceDescription", parameters: ["interface": "io.nox.Nothing"])
            }
            await #expect(throws: VarlinkError.invalidParameter("interface")) {
                try await client.call("org.varlink.service.GetInterfaceDescription")
            }
        }
    }

    @Test("a call gets its reply, typed or as JSON")
    func callAndReply() async throws {
        try await withTestServer { server throws in
            let client = server.client()
            #expect(try await client.call("io.nox.Test.Echo", parameters: ["text": "hi", "number": 3]) == ["text": "hi", "number": 3])
            let sum = try await client.call("io.nox.Test.Add", parameters: AddParameters(a: 2, b: 40), returning: SumReply.self)
            #expect(sum == SumReply(sum: 42))
        }
    }

    @Test("an error a method throws reaches the caller with its parameters")
    func errorReply() async throws {
        try await withTestServer { server throws in
            await #expect(throws: VarlinkError(name: "io.nox.Test.TestFailure", parameters: ["reason": "broken"])) {
                try await server.client().call("io.nox.Test.Fail", parameters: ["reason": "broken"])
            }
        }
    }

    @Test("unknown interfaces and methods, and declared but unimplemented methods, get the standard errors")
    func notFound() async throws {
        try await withTestServer { server throws in
            let client = server.client()
            await #expect(throws: VarlinkError.interfaceNotFound("io.nox.Nothing")) { try await client.call("io.nox.Nothing.Method") }
            await #expect(throws: VarlinkError.interfaceNotFound("NoDot")) { try await client.call("NoDot") }
            await #expect(throws: VarlinkError.methodNotFound("io.nox.Test.Nope")) { try await client.call("io.nox.Test.Nope") }
            await #expect(throws: VarlinkError.methodNotImplemented("io.nox.Test.Unimplemented")) {
                try await client.call("io.nox.Test.Unimplemented")
            }
            await #expect(throws: VarlinkError.methodNotImplemented("io.nox.Auth.Authenticate")) {
                try await client.call("io.nox.Auth.Authenticate", parameters: ["token": "x"])
            }
        }
    }

    @Test("a missing or mistyped parameter is InvalidParameter naming it")
    func invalidParameter() async throws {
        try await withTestServer { server throws in
            let client = server.client()
            await #expect(throws: VarlinkError.invalidParameter("a")) {
                try await client.call("io.nox.Test.Add", parameters: ["a": "two", "b": 40])
            }
            await #expect(throws: VarlinkError.invalidParameter("b")) { try await client.call("io.nox.Test.Add", parameters: ["a": 2]) }
            await #expect(throws: VarlinkError.invalidParameter("parameters")) {
                try await client.call("io.nox.Test.Echo", parameters: ["not", "an", "object"])
            }
        }
    }

    @Test("the interface's authorize closure refuses a call with PermissionDenied")
    func permissionDenied() async throws {
        try await withTestServer { server throws in
            await #expect(throws: VarlinkError.permissionDenied) { try await server.client().call("io.nox.Test.Forbidden") }
            #expect(server.logs.entries.contains { $0.level == .notice && $0.metadata["ipc.method"] == "io.nox.Test.Forbidden" })
        }
    }

    @Test("authorization policies decide by the peer's uid")
    func authorizationPolicies() {
        let stranger = PeerCredentials(pid: 1, uid: 4242, gid: 4242)
        let root = PeerCredentials(pid: 1, uid: 0, gid: 0)
        #expect(VarlinkAuthorization.rootAndSelf.allows(method: "GetUser", peer: .current))
        #expect(VarlinkAuthorization.rootAndSelf.allows(method: "GetUser", peer: root))
        #expect(!VarlinkAuthorization.rootAndSelf.allows(method: "GetUser", peer: stranger))
        #expect(VarlinkAuthorization.users([4242]).allows(method: "GetUser", peer: stranger))
        #expect(VarlinkAuthorization.allowAll.allows(method: "GetUser", peer: stranger))
    }

    @Test("an unexpected Swift error becomes a generic error reply, is logged, and the server goes on")
    func unexpectedError() async throws {
        try await withTestServer { server throws in
            let client = server.client()
            await #expect(throws: VarlinkError.internalError) { try await client.call("io.nox.Test.Crash") }
            #expect(server.logs.entries.contains { $0.level == .error && $0.metadata["ipc.method"] == "io.nox.Test.Crash" })
            #expect(try await client.call("io.nox.Test.Add", parameters: ["a": 1, "b": 1]) == ["sum": 2])
        }
    }

    @Test("a more call gets several replies with continues, the last without")
    func more() async throws {
        try await withTestServer { server throws in
            var indices: [Int] = []
            for try await reply in try await server.client().callMore("io.nox.Test.Count", parameters: ["count": 4]) {
                indices.append(try #require(reply["index"]?.intValue))
            }
            #expect(indices == [0, 1, 2, 3])

            try await RawConnection.with(path: server.path) { connection in
                try await connection.send(frame: #"{"method":"io.nox.Test.Count","parameters":{"count":3},"more":true}"#)
                let replies = [try await connection.readReply(), try await connection.readReply(), try await connection.readReply()]
                #expect(replies.map { $0?.continues } == [true, true, false])
                #expect(replies.map { $0?.parameters?["index"] } == [0, 1, 2])
            }
        }
    }

    @Test("a method that streams refuses a call without more (ExpectedMore); a single-reply method answers a more call once")
    func expectedMore() async throws {
        try await withTestServer { server throws in
            await #expect(throws: VarlinkError.expectedMore) {
                try await server.client().call("io.nox.Test.Count", parameters: ["count": 2])
            }
            var replies: [JSONValue] = []
            for try await reply in try await server.client().callMore("io.nox.Test.Add", parameters: ["a": 1, "b": 2]) {
                replies.append(reply)
            }
            #expect(replies == [["sum": 3]])
        }
    }

    @Test("a oneway call gets no reply but is carried out")
    func oneway() async throws {
        try await withTestServer { server throws in
            try await RawConnection.with(path: server.path) { connection in
                try await connection.send(frame: #"{"method":"io.nox.Test.Note","parameters":{"text":"raw"},"oneway":true}"#)
                try await connection.send(frame: #"{"method":"io.nox.Test.Fail","parameters":{"reason":"x"},"oneway":true}"#)
                try await connection.send(frame: #"{"method":"io.nox.Test.Notes"}"#)
                // The first reply on the connection is the one to Notes.
                #expect(try await connection.readReply()?.parameters == ["notes": ["raw"]])
            }
            let client = server.client()
            try await client.oneway("io.nox.Test.Note", parameters: ["text": "client"])
            #expect(try await client.call("io.nox.Test.Notes") == ["notes": ["raw", "client"]])
        }
    }

    @Test("the method sees the caller's credentials: our own pid, uid and gid")
    func peerCredentials() async throws {
        try await withTestServer { server throws in
            let reply = try await server.client().call("io.nox.Test.WhoAmI")
            let me = PeerCredentials.current
            #expect(reply["peer"] == ["pid": .int(Int(me.pid)), "uid": .int(Int(me.uid)), "gid": .int(Int(me.gid))])
        }
    }

    @Test("an upgrade request is refused")
    func upgrade() async throws {
        try await withTestServer { server throws in
            try await RawConnection.with(path: server.path) { connection in
                try await connection.send(frame: #"{"method":"io.nox.Test.Echo","parameters":{"text":"x"},"upgrade":true}"#)
                let reply = try #require(try await connection.readReply())
                #expect(reply.error == "org.varlink.service.InvalidParameter")
                #expect(reply.parameters == ["parameter": "upgrade"])
            }
        }
    }
}
