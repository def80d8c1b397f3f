import Foundation
import NoxIPC
import Testing

#if canImport(Glibc)
    import Glibc
#endif

@Suite("Varlink server lifecycle", .timeLimit(.minutes(1)))
struct ServerLifecycleTests {
    @Test("the server serves an inherited listening socket, as systemd passes it")
    func inheritedSocket() async throws {
        try await withTemporaryDirectory { directory in
            let path = directory + "/activated.varlink"
            let descriptor = try listeningSocket(at: path)
            let server = try VarlinkServer(info: .test, interfaces: [makeAuthInterface()], logger: testLogger())
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await server.run(listeningOn: .fileDescriptor(descriptor)) }
                let info = try await VarlinkClient(path: path).call("org.varlink.service.GetInfo")
                #expect(info["interfaces"] == ["org.varlink.service", "io.nox.Auth"])
                group.cancelAll()
                try await group.waitForAll()
            }
        }
    }

    @Test("a stale socket file is replaced, and the socket file is removed when the server stops")
    func staleSocketFile() async throws {
        try await withTemporaryDirectory { directory in
            let path = directory + "/stale.varlink"
            close(try listeningSocket(at: path))  // leaves the file behind
            #expect(FileManager.default.fileExists(atPath: path))
            try await withTimeout {
                let server = try VarlinkServer(info: .test, interfaces: [], logger: testLogger())
                try await withThrowingTaskGroup(of: Void.self) { group in
                    let (listening, continuation) = AsyncStream.makeStream(of: Void.self)
                    group.addTask { try await server.run(listeningOn: .path(path)) { continuation.finish() } }
                    for await _ in listening {}
                    _ = try await VarlinkClient.connect(path: path).call("org.varlink.service.GetInfo")
                    group.cancelAll()
                    try await group.waitForAll()
                }
            }
            #expect(!FileManager.default.fileExists(atPath: path))
        }
    }

    @Test("binding over a file that is not a socket fails")
    func notASocket() async throws {
        try await withTemporaryDirectory { directory in
            let path = directory + "/file"
            #expect(FileManager.default.createFile(atPath: path, contents: Data("keep me".utf8)))
            let server = try VarlinkServer(info: .test, interfaces: [], logger: testLogger())
            await #expect(throws: (any Error).self) { try await server.run(listeningOn: .path(path)) }
            #expect(FileManager.default.contents(atPath: path) == Data("keep me".utf8))
        }
    }

    @Test("cancelling the server ends open connections and in-progress calls")
    func cancellation() async throws {
        try await withTemporaryDirectory { directory in
            let path = directory + "/cancel.varlink"
            let server = try VarlinkServer(info: .test, interfaces: [makeTestInterface()], logger: testLogger())
            let client = VarlinkClient(path: path)
            try await withTimeout {
                try await withThrowingTaskGroup(of: Void.self) { group in
                    let (listening, continuation) = AsyncStream.makeStream(of: Void.self)
                    group.addTask { try await server.run(listeningOn: .path(path)) { continuation.finish() } }
                    for await _ in listening {}
                    group.addTask {
                        // Cut off by the shutdown: the server cancels the handler and closes the connection.
                        _ = try? await client.call("io.nox.Test.Sleep", parameters: ["milliseconds": 30000])
                    }
                    // Wait for the call to arrive (polling: the machine may be loaded).
                    for _ in 0..<250 where server.activeConnectionCount == 0 {
                        try await Task.sleep(for: .milliseconds(20))
                    }
                    #expect(server.activeConnectionCount == 1)
                    group.cancelAll()
                    try await group.waitForAll()
                }
            }
            #expect(server.activeConnectionCount == 0)
        }
    }

    @Test("the server counts its connections and reports when it has been idle")
    func idleReporting() async throws {
        try await withTestServer { server throws in
            #expect(server.server.activeConnectionCount == 0)
            let client = try await VarlinkClient.connect(path: server.path)
            _ = try await client.call("org.varlink.service.GetInfo")
            #expect(server.server.activeConnectionCount == 1)
            // Not idle while the connection is open.
            await #expect(throws: TestTimeout.self) {
                try await withTimeout(.milliseconds(400)) { try await server.server.waitUntilIdle(for: .milliseconds(100)) }
            }
            await client.close()
            let start = ContinuousClock.now
            try await withTimeout(.seconds(5)) { try await server.server.waitUntilIdle(for: .milliseconds(300)) }
            #expect(ContinuousClock.now - start >= .milliseconds(250))
            #expect(server.server.activeConnectionCount == 0)
        }
    }
}

/// A Unix socket bound at `path` and listening, as systemd would pass it.
func listeningSocket(at path: String) throws -> CInt {
    let descriptor = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
    guard descriptor >= 0 else { throw POSIXError(.EIO) }
    var address = sockaddr_un()
    address.sun_family = sa_family_t(AF_UNIX)
    withUnsafeMutableBytes(of: &address.sun_path) { buffer in
        buffer.copyBytes(from: path.utf8.prefix(buffer.count - 1))
    }
    let bound = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
    }
    guard bound == 0, listen(descriptor, 16) == 0 else {
        close(descriptor)
        throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO)
    }
    return descriptor
}
