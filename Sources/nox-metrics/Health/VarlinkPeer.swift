import NoxIPC

/// One short Varlink exchange with another daemon: connect, call, close. nox-metrics keeps no
/// connection open, since an open connection counts as activity and would keep a daemon from
/// its idle exit.
enum VarlinkPeer {
    static let configuration = VarlinkClientConfiguration(connectTimeout: .seconds(2), callTimeout: .seconds(5), idleTimeout: .seconds(1))

    static func call<Reply: Decodable & Sendable>(
        _ path: String, _ method: String, parameters: some Encodable & Sendable = VarlinkEmpty(), returning: Reply.Type,
        configuration: VarlinkClientConfiguration = VarlinkPeer.configuration
    ) async throws -> Reply {
        let client = VarlinkClient(path: path, configuration: configuration)
        do {
            let reply = try await client.call(method, parameters: parameters, returning: Reply.self)
            await client.close()
            return reply
        } catch {
            await client.close()
            throw error
        }
    }

    struct Info: Decodable, Sendable {
        var product: String
        var version: String
    }

    /// `org.varlink.service.GetInfo`: the ping of /api/health.
    static func info(_ path: String) async -> Info? {
        try? await call(path, "org.varlink.service.GetInfo", returning: Info.self)
    }
}
