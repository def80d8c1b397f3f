import NIOCore

/// A call on its way out, with where its replies go (none for `oneway`).
struct VarlinkClientRequest: Sendable {
    var frame: ByteBuffer
    var responder: VarlinkResponder?
}

/// Where the replies to one call go.
enum VarlinkResponder: Sendable {
    /// The one reply of a plain call.
    case single(EventLoopPromise<JSONValue>)
    /// Every reply of a `more` call.
    case stream(AsyncThrowingStream<JSONValue, any Error>.Continuation)

    func fail(_ error: any Error) {
        switch self {
        case .single(let promise): promise.fail(error)
        case .stream(let continuation): continuation.finish(throwing: error)
        }
    }
}

/// Matches replies to calls: Varlink answers calls on a connection in the order they were made,
/// so the pending calls form a queue. Several calls may be in flight at once (pipelining).
final class VarlinkClientHandler: ChannelDuplexHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = Never
    typealias OutboundIn = VarlinkClientRequest
    typealias OutboundOut = ByteBuffer

    private struct Pending {
        var responder: VarlinkResponder
        var timeout: Scheduled<Void>?
    }

    private let callTimeout: TimeAmount?
    private let idleTimeout: TimeAmount?
    private var pending = CircularBuffer<Pending>()
    private var idleTimer: Scheduled<Void>?
    private var failed = false

    init(callTimeout: TimeAmount?, idleTimeout: TimeAmount?) {
        self.callTimeout = callTimeout
        self.idleTimeout = idleTimeout
    }

    func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { startIdleTimer(context: context) }
    }

    func channelActive(context: ChannelHandlerContext) {
        startIdleTimer(context: context)
        context.fireChannelActive()
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let request = unwrapOutboundIn(data)
        guard !failed else {
            // Nothing was sent: the caller may safely retry on a new connection.
            promise?.fail(ChannelError.ioOnClosedChannel)
            request.responder?.fail(ChannelError.ioOnClosedChannel)
            return
        }
        stopIdleTimer()
        if let responder = request.responder {
            pending.append(Pending(responder: responder, timeout: scheduleCallTimeout(context: context)))
        }
        context.write(wrapOutboundOut(request.frame), promise: promise)
        if pending.isEmpty { startIdleTimer(context: context) }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !failed else { return }
        let reply: VarlinkReplyMessage
        do {
            reply = try VarlinkWire.decode(VarlinkReplyMessage.self, from: unwrapInboundIn(data))
        } catch {
            return fail(context: context, error)
        }
        guard var head = pending.first else {
            return fail(context: context, NoxIPCError(.protocolViolation, "the server sent a reply to no call"))
        }
        let parameters = reply.parameters ?? .emptyObject
        if let error = reply.error {
            finishHead(context: context).fail(VarlinkError(name: error, parameters: parameters))
        } else if reply.continues == true {
            guard case .stream(let continuation) = head.responder else {
                return fail(context: context, NoxIPCError(.protocolViolation, "the server sent 'continues' to a call without 'more'"))
            }
            head.timeout?.cancel()
            head.timeout = nil
            pending[pending.startIndex] = head
            continuation.yield(parameters)
        } else {
            switch finishHead(context: context) {
            case .single(let promise):
                promise.succeed(parameters)
            case .stream(let continuation):
                continuation.yield(parameters)
                continuation.finish()
            }
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        fail(context: context, error)
    }

    func channelInactive(context: ChannelHandlerContext) {
        failAll(NoxIPCError(.connectionClosed, "the connection closed before the reply came"))
        context.fireChannelInactive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        failAll(NoxIPCError(.connectionClosed, "the connection closed before the reply came"))
    }

    /// Removes the head of the queue, whose last reply has come.
    private func finishHead(context: ChannelHandlerContext) -> VarlinkResponder {
        let head = pending.removeFirst()
        head.timeout?.cancel()
        if pending.isEmpty { startIdleTimer(context: context) }
        return head.responder
    }

    private func fail(context: ChannelHandlerContext, _ error: any Error) {
        failAll(error)
        context.close(promise: nil)
    }

    private func failAll(_ error: any Error) {
        failed = true
        stopIdleTimer()
        while let entry = pending.popFirst() {
            entry.timeout?.cancel()
            entry.responder.fail(error)
        }
    }

    private func scheduleCallTimeout(context: ChannelHandlerContext) -> Scheduled<Void>? {
        guard let callTimeout else { return nil }
        let loopBoundContext = context.loopBound
        return context.eventLoop.assumeIsolated().scheduleTask(in: callTimeout) { [self] in
            fail(context: loopBoundContext.value, NoxIPCError(.timeout, "no reply came within \(callTimeout)"))
        }
    }

    private func startIdleTimer(context: ChannelHandlerContext) {
        guard let idleTimeout, idleTimer == nil, !failed else { return }
        let loopBoundContext = context.loopBound
        idleTimer = context.eventLoop.assumeIsolated().scheduleTask(in: idleTimeout) { [self] in
            idleTimer = nil
            if pending.isEmpty { loopBoundContext.value.close(promise: nil) }
        }
    }

    private func stopIdleTimer() {
        idleTimer?.cancel()
        idleTimer = nil
    }
}

@available(*, unavailable)
extension VarlinkClientHandler: Sendable {}
