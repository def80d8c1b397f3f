import NIOCore
import NIOPosix
import NoxIPC

/// A plain socket connection that sends bytes as given and reads NUL-terminated frames, to test
/// the server's framing without our client in the way.
struct RawConnection {
    private var inbound: NIOAsyncChannelInboundStream<ByteBuffer>.AsyncIterator
    private let outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>
    private var buffer = ByteBuffer()

    /// Connects to `path` and runs `body`; the connection is closed after 10 s at the latest, so
    /// that a read that would wait for ever ends (as EOF).
    static func with<T>(path: String, _ body: (inout RawConnection) async throws -> T) async throws -> T {
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connect(unixDomainSocketPath: path) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
                }
            }
        let nioChannel = channel.channel
        let watchdog = nioChannel.eventLoop.scheduleTask(in: .seconds(10)) { nioChannel.close(promise: nil) }
        defer { watchdog.cancel() }
        return try await channel.executeThenClose { inbound, outbound in
            var connection = RawConnection(inbound: inbound.makeAsyncIterator(), outbound: outbound)
            return try await body(&connection)
        }
    }

    private init(inbound: NIOAsyncChannelInboundStream<ByteBuffer>.AsyncIterator, outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>) {
        self.inbound = inbound
        self.outbound = outbound
    }

    /// Sends bytes exactly as given.
    func send(_ bytes: some Sequence<UInt8>) async throws {
        try await outbound.write(ByteBuffer(bytes: Array(bytes)))
    }

    /// Sends text followed by a NUL: one frame.
    func send(frame text: String) async throws {
        try await send(Array(text.utf8) + [0])
    }

    /// The next frame's text, or `nil` when the server closed the connection.
    mutating func readFrame() async throws -> String? {
        while true {
            if let end = buffer.readableBytesView.firstIndex(of: 0) {
                let text = buffer.readString(length: end - buffer.readerIndex)!
                buffer.moveReaderIndex(forwardBy: 1)
                return text
            }
            do {
                guard var more = try await inbound.next() else { return nil }
                buffer.writeBuffer(&more)
            } catch {
                return nil
            }
        }
    }

    /// The next frame, parsed.
    mutating func readReply() async throws -> JSONValueReply? {
        guard let text = try await readFrame() else { return nil }
        return try JSONValueReply(text: text)
    }
}

/// A reply frame parsed as JSON.
struct JSONValueReply: Equatable {
    var json: JSONValue
    init(text: String) throws {
        json = try JSONValue(parsing: Array(text.utf8))
    }
    var parameters: JSONValue? { json["parameters"] }
    var error: String? { json["error"]?.stringValue }
    var continues: Bool { json["continues"]?.boolValue ?? false }
}
