import NIOCore

/// Asks `ConnectionAbortHandler` to end the connection from below TLS.
struct AbortConnection {
    /// Stop reading, half-close, and wait a moment before the full close, so the client reads the
    /// last answer first (an immediate close with unread data resets the connection, and the
    /// client may lose the answer).
    var linger: Bool
}

/// The first handler of a connection's pipeline, below TLS: on `AbortConnection` it stops passing
/// bytes up and closes the socket itself. A close from above TLS would first wait for the
/// client's close_notify, reading (and decrypting) whatever the client still sends: a refused
/// 250 MiB upload would be read to its end.
final class ConnectionAbortHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    typealias OutboundIn = IOData
    typealias OutboundOut = IOData

    static let lingerTime = TimeAmount.milliseconds(1000)
    private var aborted = false

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !aborted else { return }
        context.fireChannelRead(data)
    }

    /// After an abort no read is asked of the socket, whoever asks: handlers above (HTTP,
    /// TLS) still request reads while they wait, and turning autoRead off alone left the
    /// server reading refused bodies off the socket during the linger.
    func read(context: ChannelHandlerContext) {
        guard !aborted else { return }
        context.read()
    }

    func triggerUserOutboundEvent(context: ChannelHandlerContext, event: Any, promise: EventLoopPromise<Void>?) {
        guard let abort = event as? AbortConnection else { return context.triggerUserOutboundEvent(event, promise: promise) }
        promise?.succeed()
        guard !aborted else { return }
        aborted = true
        guard abort.linger else { return context.close(promise: nil) }
        // Stop reading: the client's unsent body waits in its own buffers (flow control), not ours.
        try? context.channel.syncOptions?.setOption(ChannelOptions.autoRead, value: false)
        context.close(mode: .output, promise: nil)
        context.eventLoop.assumeIsolated().scheduleTask(in: Self.lingerTime) { context.close(promise: nil) }
    }
}
