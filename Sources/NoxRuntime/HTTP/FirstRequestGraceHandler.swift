import NIOCore
import NIOHTTPTypes

/// Holds back a graceful-shutdown ("quiesce") event from a connection that has not yet sent
/// its first request, until that request's head arrives or a short grace period ends.
///
/// Why: behind nginx every request is a fresh connection (no upstream keepalive). During a
/// restart the listener can accept a connection an instant before shutdown begins; Hummingbird
/// closes connections with no request in progress at once, so nginx would see the connection
/// drop before its request was read and answer 502. Delaying the event until the head is read
/// turns that into "serve this one request, then close" — no request is lost to a restart.
final class FirstRequestGraceHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart

    /// How long a connection that has sent nothing may hold up shutdown.
    static let gracePeriod: TimeAmount = .seconds(2)

    private var sawFirstHead = false
    private var heldQuiesceEvent: Scheduled<Void>?

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        context.fireChannelRead(data)
        if !sawFirstHead, case .head = unwrapInboundIn(data) {
            sawFirstHead = true
            releaseHeldEvent(context: context)
        }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        guard event is ChannelShouldQuiesceEvent, !sawFirstHead, heldQuiesceEvent == nil else {
            context.fireUserInboundEventTriggered(event)
            return
        }
        let loop = context.eventLoop.assumeIsolatedUnsafeUnchecked()
        heldQuiesceEvent = loop.scheduleTask(in: Self.gracePeriod) {
            self.heldQuiesceEvent = nil
            context.fireUserInboundEventTriggered(ChannelShouldQuiesceEvent())
        }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        heldQuiesceEvent?.cancel()
        heldQuiesceEvent = nil
    }

    /// Passes a held event on now that a request is in progress (so it means "close after this response").
    private func releaseHeldEvent(context: ChannelHandlerContext) {
        guard let held = heldQuiesceEvent else { return }
        held.cancel()
        heldQuiesceEvent = nil
        context.fireUserInboundEventTriggered(ChannelShouldQuiesceEvent())
    }
}

@available(*, unavailable)
extension FirstRequestGraceHandler: Sendable {}
