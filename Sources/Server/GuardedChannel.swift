import HummingbirdCore
import Logging
import NIOCore
import NIOHTTP1

/// Wraps the server's TLS + HTTP/1 child channel with what protects its connection slots: a
/// per-address cap on open connections, `RequestDeadlineHandler` after the HTTP decoder, and
/// `ConnectionAbortHandler` below TLS.
struct GuardedChannel<Base: ServerChildChannel>: ServerChildChannel {
    typealias Value = Base.Value
    let base: Base
    let connections: ConnectionCounter
    let events: ConnectionEvents
    let timeouts: RequestDeadlineHandler.Timeouts

    struct Refused: Error {}

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        let address = channel.remoteAddress?.ipAddress ?? "unknown"
        guard connections.admit(address) else {
            events.record(address: address, reason: "over the per-address connection cap (\(connections.limit))")
            channel.close(promise: nil)
            return channel.eventLoop.makeFailedFuture(Refused())
        }
        let connections = self.connections
        channel.closeFuture.whenComplete { _ in connections.release(address) }
        let (timeouts, events) = (self.timeouts, self.events)
        return base.setup(channel: channel, logger: logger).flatMapThrowing { value in
            let pipeline = channel.pipeline.syncOperations
            let decoder = try pipeline.handler(type: ByteToMessageHandler<HTTPRequestDecoder>.self)
            try pipeline.addHandler(
                RequestDeadlineHandler(timeouts: timeouts, address: address, events: events),
                position: .after(decoder))
            try pipeline.addHandler(ConnectionAbortHandler(), position: .first)
            return value
        }
    }

    func handle(value: Value, logger: Logger) async {
        await base.handle(value: value, logger: logger)
    }
}
