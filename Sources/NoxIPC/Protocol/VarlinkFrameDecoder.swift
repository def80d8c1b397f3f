import NIOCore

/// Splits the byte stream into Varlink frames: JSON texts each terminated by a NUL byte.
///
/// Passes each frame on without its NUL. A frame longer than `maximumFrameSize` fails the
/// channel with ``NoxIPCError/Code/frameTooLarge`` and closes it; a frame that has begun but
/// not ended within `readTimeout` fails it with ``NoxIPCError/Code/timeout``.
final class VarlinkFrameDecoder: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    private let maximumFrameSize: Int
    private let readTimeout: TimeAmount?
    private var buffer: ByteBuffer?
    /// How many bytes at the start of `buffer` are known to hold no NUL.
    private var scanned = 0
    private var readTimer: Scheduled<Void>?
    private var failed = false

    init(maximumFrameSize: Int, readTimeout: TimeAmount?) {
        self.maximumFrameSize = maximumFrameSize
        self.readTimeout = readTimeout
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !failed else { return }
        var incoming = unwrapInboundIn(data)
        if buffer == nil {
            buffer = incoming
        } else {
            buffer!.writeBuffer(&incoming)
        }
        while let frame = nextFrame() {
            guard frame.readableBytes <= maximumFrameSize else { return fail(context: context, frameTooLarge(frame.readableBytes)) }
            context.fireChannelRead(wrapInboundOut(frame))
            guard !failed else { return }
        }
        guard let pending = buffer?.readableBytes else { return cancelReadTimer() }
        if pending > maximumFrameSize { return fail(context: context, frameTooLarge(pending)) }
        startReadTimer(context: context)
    }

    func channelInactive(context: ChannelHandlerContext) {
        cancelReadTimer()
        context.fireChannelInactive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        cancelReadTimer()
    }

    /// The next complete frame in `buffer`, if any; drops the buffer when it is used up.
    private func nextFrame() -> ByteBuffer? {
        guard var current = buffer else { return nil }
        buffer = nil  // keep the storage uniquely referenced while we slice it
        defer {
            if current.readableBytes == 0 {
                scanned = 0
            } else {
                if current.readerIndex > 64 * 1024 { current.discardReadBytes() }
                buffer = current
            }
        }
        let view = current.readableBytesView
        guard let end = view[(view.startIndex + scanned)...].firstIndex(of: 0) else {
            scanned = view.count
            return nil
        }
        let frame = current.readSlice(length: end - view.startIndex)!
        current.moveReaderIndex(forwardBy: 1)
        scanned = 0
        return frame
    }

    private func frameTooLarge(_ size: Int) -> NoxIPCError {
        NoxIPCError(.frameTooLarge, "a frame of more than \(maximumFrameSize) bytes (\(size) received) arrived; closing the connection")
    }

    private func fail(context: ChannelHandlerContext, _ error: NoxIPCError) {
        failed = true
        buffer = nil
        cancelReadTimer()
        context.fireErrorCaught(error)
        context.close(promise: nil)
    }

    private func startReadTimer(context: ChannelHandlerContext) {
        guard readTimer == nil, let readTimeout else { return }
        let loopBoundContext = context.loopBound
        readTimer = context.eventLoop.assumeIsolated().scheduleTask(in: readTimeout) { [self] in
            readTimer = nil
            fail(context: loopBoundContext.value, NoxIPCError(.timeout, "a frame did not complete within \(readTimeout)"))
        }
    }

    private func cancelReadTimer() {
        readTimer?.cancel()
        readTimer = nil
    }
}

@available(*, unavailable)
extension VarlinkFrameDecoder: Sendable {}
