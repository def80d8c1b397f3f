import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix

/// A Varlink client for one Unix socket, safe to share between tasks.
///
/// Plain calls share one connection, opened on first use, closed when idle, and opened again
/// when it broke; concurrent calls are pipelined on it and the server answers them in order.
/// A `more` call gets a connection of its own, so a long stream never holds up other calls.
///
/// ```swift
/// let auth = VarlinkClient(path: "/run/nox/ipc/io.nox.Auth")
/// let reply = try await auth.call("io.nox.Auth.Authenticate", parameters: ["token": .string(token)])
/// ```
public final class VarlinkClient: Sendable {
    enum State {
        case idle
        case connecting(EventLoopFuture<any Channel>)
        case connected(any Channel)
        case closed
    }

    /// The socket path.
    public let path: String
    /// The limits and timeouts in force.
    public let configuration: VarlinkClientConfiguration
    let logger: Logger
    let eventLoopGroup: any EventLoopGroup
    /// The shared connection.
    let state = NIOLockedValueBox(State.idle)

    /// A client; it connects on the first call.
    ///
    /// - Parameters:
    ///   - path: The server's socket path.
    ///   - configuration: Limits and timeouts.
    ///   - logger: Where connection events are logged (at debug level); silent by default.
    ///   - eventLoopGroup: The event loops to run on; NIO's shared singleton by default.
    public init(
        path: String,
        configuration: VarlinkClientConfiguration = .init(),
        logger: Logger = Logger(label: "NoxIPC.VarlinkClient", factory: { _ in SwiftLogNoOpLogHandler() }),
        eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    ) {
        self.path = path
        self.configuration = configuration
        self.logger = logger
        self.eventLoopGroup = eventLoopGroup
    }

    /// A client that has connected already, so that an unreachable server shows at once.
    ///
    /// - Parameters:
    ///   - path: The server's socket path.
    ///   - configuration: Limits and timeouts.
    ///   - logger: Where connection events are logged.
    ///   - eventLoopGroup: The event loops to run on.
    /// - Throws: ``NoxIPCError`` (``NoxIPCError/Code/connectionFailed``).
    public static func connect(
        path: String,
        configuration: VarlinkClientConfiguration = .init(),
        logger: Logger = Logger(label: "NoxIPC.VarlinkClient", factory: { _ in SwiftLogNoOpLogHandler() }),
        eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    ) async throws -> VarlinkClient {
        let client = VarlinkClient(path: path, configuration: configuration, logger: logger, eventLoopGroup: eventLoopGroup)
        _ = try await client.sharedChannel()
        return client
    }

    deinit {
        if case .connected(let channel) = state.withLockedValue({ $0 }) { channel.close(promise: nil) }
    }

    /// Calls a method and returns its reply's parameters.
    ///
    /// - Parameters:
    ///   - method: The fully qualified method name, e.g. `io.nox.Auth.Authenticate`.
    ///   - parameters: The parameters, a JSON object.
    /// - Throws: ``VarlinkError`` when the server replies with an error; ``NoxIPCError`` when
    ///   the connection fails or the reply is late; `CancellationError` when the task is cancelled.
    public func call(_ method: String, parameters: JSONValue = .emptyObject) async throws -> JSONValue {
        let frame = try VarlinkWire.frame(VarlinkCallMessage(method: method, parameters: parameters))
        for attempt in 1...3 {
            let channel = try await sharedChannel()
            let promise = channel.eventLoop.makePromise(of: JSONValue.self)
            do {
                try await channel.writeAndFlush(VarlinkClientRequest(frame: frame, responder: .single(promise))).get()
            } catch where attempt < 3 {
                // The shared connection broke before the whole call went out (typically: its idle
                // timeout closed it just now — on a loaded machine even a new one, before this task
                // got to write), so the server cannot have received it (a frame counts only with its
                // final NUL): send it on a new one.
                promise.fail(error)
                forget(channel)
                continue
            } catch {
                promise.fail(error)
                throw NoxIPCError(.connectionClosed, "sending the call failed", cause: error)
            }
            return try await withTaskCancellationHandler {
                try await promise.futureResult.get()
            } onCancel: {
                promise.fail(CancellationError())
            }
        }
        throw NoxIPCError(.connectionClosed, "the connection closed before the call went out")
    }

    /// Calls a method with `Encodable` parameters and decodes its reply.
    ///
    /// - Parameters:
    ///   - method: The fully qualified method name.
    ///   - parameters: The parameters, encoded as a JSON object (``VarlinkEmpty`` for none).
    ///   - replyType: The type to decode the reply's parameters as.
    /// - Throws: As ``call(_:parameters:)``, and `DecodingError` when the reply does not decode.
    public func call<Reply: Decodable>(
        _ method: String,
        parameters: some Encodable,
        returning replyType: Reply.Type = Reply.self
    ) async throws -> Reply {
        try await call(method, parameters: JSONValue(encoding: parameters)).decode(replyType)
    }

    /// Calls a method with `more: true` and returns its replies as they come; the stream ends
    /// after the last one (the one without `continues`), or throws the error reply.
    ///
    /// The call has a connection of its own; ending the iteration early closes it.
    ///
    /// - Parameters:
    ///   - method: The fully qualified method name.
    ///   - parameters: The parameters, a JSON object.
    /// - Throws: ``NoxIPCError`` when connecting or sending fails (later failures end the stream).
    public func callMore(
        _ method: String,
        parameters: JSONValue = .emptyObject
    ) async throws -> AsyncThrowingStream<JSONValue, any Error> {
        try checkNotClosed()
        let frame = try VarlinkWire.frame(VarlinkCallMessage(method: method, parameters: parameters, more: true))
        let channel: any Channel
        do {
            channel = try await connect(idleTimeout: nil).get()
        } catch {
            throw NoxIPCError(.connectionFailed, "cannot connect to \(path)", cause: error)
        }
        let (stream, continuation) = AsyncThrowingStream.makeStream(of: JSONValue.self)
        continuation.onTermination = { _ in channel.close(promise: nil) }
        do {
            try await channel.writeAndFlush(VarlinkClientRequest(frame: frame, responder: .stream(continuation))).get()
        } catch {
            continuation.finish(throwing: error)
            throw NoxIPCError(.connectionClosed, "sending the call failed", cause: error)
        }
        return stream
    }

    /// Calls a method with `oneway: true`: the server sends no reply, and this returns once the
    /// call has been sent.
    ///
    /// - Parameters:
    ///   - method: The fully qualified method name.
    ///   - parameters: The parameters, a JSON object.
    /// - Throws: ``NoxIPCError`` when connecting or sending fails.
    public func oneway(_ method: String, parameters: JSONValue = .emptyObject) async throws {
        let frame = try VarlinkWire.frame(VarlinkCallMessage(method: method, parameters: parameters, oneway: true))
        for attempt in 1...2 {
            let channel = try await sharedChannel()
            do {
                try await channel.writeAndFlush(VarlinkClientRequest(frame: frame, responder: nil)).get()
                return
            } catch  where attempt == 1 {
                continue  // not received: see call(_:parameters:)
            } catch {
                throw NoxIPCError(.connectionClosed, "sending the call failed", cause: error)
            }
        }
    }

    /// Closes the shared connection; later calls throw ``NoxIPCError/Code/clientClosed``.
    /// Streams from ``callMore(_:parameters:)`` go on until they end.
    public func close() async {
        let previous = state.withLockedValue { state in
            defer { state = .closed }
            return state
        }
        switch previous {
        case .connected(let channel):
            try? await channel.close()
        case .connecting(let future):
            try? await future.get().close()
        case .idle, .closed:
            break
        }
    }
}
