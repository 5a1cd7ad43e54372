import NIOCore
import NIOHTTP1

/// Closes a connection that does not send a request, or read its answer, in time: from the
/// moment it is accepted (the TLS handshake included) or its last answer was written, a request
/// head must arrive within `head`; its body must then arrive within `body`; an answer must be
/// written (read by the client) within `send` of its head. Idle, trickling and slow-reading
/// clients lose their connection, so they cannot hold the server's slots.
///
/// It sits right after the HTTP/1 decoder, so it also sees what the parser refuses. An answer
/// that says `Connection: close` closes the connection once written, so a refused upload's
/// body is not read on. Both closes go to the socket directly (`ConnectionAbortHandler`).
final class RequestDeadlineHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias InboundOut = HTTPServerRequestPart
    typealias OutboundIn = HTTPServerResponsePart
    typealias OutboundOut = HTTPServerResponsePart

    struct Timeouts: Sendable {
        var head: TimeAmount
        var body: TimeAmount
        var send: TimeAmount
    }

    private let headTimeout: TimeAmount
    private let bodyTimeout: TimeAmount
    private let sendTimeout: TimeAmount
    private let address: String
    private let events: ConnectionEvents
    private var timer: Scheduled<Void>?
    /// The answer being written: its own clock, apart from the request's.
    private var sendTimer: Scheduled<Void>?
    private var requests = 0
    private var closeAfterAnswer = false

    init(timeouts: Timeouts, address: String, events: ConnectionEvents) {
        self.headTimeout = timeouts.head
        self.bodyTimeout = timeouts.body
        self.sendTimeout = timeouts.send
        self.address = address
        self.events = events
    }

    func handlerAdded(context: ChannelHandlerContext) {
        arm(context, headTimeout, reason: "no request within the head timeout (TLS handshake or request head)")
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        cancel()
        cancelSend()
    }

    func channelInactive(context: ChannelHandlerContext) {
        cancel()
        cancelSend()
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head:
            requests += 1
            arm(context, bodyTimeout, reason: "request body slower than the body timeout")
        case .body: break
        case .end: cancel()
        }
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        switch unwrapOutboundIn(data) {
        case .head(let head):
            if head.headers[canonicalForm: "connection"].contains(where: { $0.lowercased() == "close" }) {
                closeAfterAnswer = true
            }
            let events = self.events, address = self.address
            cancelSend()
            sendTimer = context.eventLoop.assumeIsolated().scheduleTask(in: sendTimeout) {
                events.record(address: address, reason: "answer not read within the send timeout (slow reader)")
                Self.abort(context, linger: false)
            }
            context.write(data, promise: promise)
        case .body:
            context.write(data, promise: promise)
        case .end:
            guard closeAfterAnswer else {
                // The answer is sent once its end reaches the socket: only then does its clock stop,
                // and the next request's head is awaited like the first one's (keep-alive; not
                // audited: normal expiry). Until then the send timeout alone bounds the connection.
                cancel()
                let written = context.eventLoop.makePromise(of: Void.self)
                written.futureResult.cascade(to: promise)
                context.write(data, promise: written)
                written.futureResult.assumeIsolated().whenSuccess { _ in
                    self.cancelSend()
                    self.arm(context, self.headTimeout, reason: nil)
                }
                return
            }
            cancel()
            let written = context.eventLoop.makePromise(of: Void.self)
            written.futureResult.cascade(to: promise)
            context.writeAndFlush(data, promise: written)
            written.futureResult.assumeIsolated().whenComplete { _ in Self.abort(context, linger: true) }
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if error is HTTPParserError {
            events.record(address: address, reason: "malformed HTTP request (\(error))")
        }
        context.fireErrorCaught(error)
    }

    private func arm(_ context: ChannelHandlerContext, _ timeout: TimeAmount, reason: String?) {
        cancel()
        let events = self.events, address = self.address
        timer = context.eventLoop.assumeIsolated().scheduleTask(in: timeout) {
            if let reason { events.record(address: address, reason: reason) }
            Self.abort(context, linger: false)
        }
    }

    /// Closes the socket below TLS (`ConnectionAbortHandler`): nothing more is read.
    private static func abort(_ context: ChannelHandlerContext, linger: Bool) {
        context.triggerUserOutboundEvent(AbortConnection(linger: linger), promise: nil)
    }

    private func cancel() {
        timer?.cancel()
        timer = nil
    }

    private func cancelSend() {
        sendTimer?.cancel()
        sendTimer = nil
    }
}
