public import Logging
public import NoxIPC
public import ServiceLifecycle

/// Runs a Varlink server as a service of the daemon's group, until graceful shutdown.
public struct VarlinkServerService: Service {
    let server: VarlinkServer
    let socket: VarlinkListenSocket

    public init(server: VarlinkServer, socket: VarlinkListenSocket) {
        self.server = server
        self.socket = socket
    }

    public func run() async throws {
        try await cancelWhenGracefulShutdown {
            try await server.run(listeningOn: socket)
        }
    }
}
