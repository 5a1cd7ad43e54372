import Glibc
import PluginProtocol

/// The serve loop of a plugin process: read a frame, validate it, dispatch,
/// answer. Bad input is answered with a JSON-RPC error and never crashes the
/// process; only a frame that cannot be delimited (bad header, over the size
/// limit, stream cut) ends it, since nothing after it can be trusted.
public enum PluginServer {
    /// Serves `Plugin` on stdin/stdout until `shutdown` or end of input; never returns.
    public static func serve<Plugin: NeuralNetworkPlugin>(_ plugin: Plugin.Type, maxFrameBytes: Int = 256 << 20) -> Never {
        BLAS.configureSingleThreaded()
        // Stray prints from plugin code must not corrupt the protocol: the RPC
        // stream gets a private copy of stdout and fd 1 then points at stderr.
        let rpcOut = dup(1)
        if rpcOut >= 0 { dup2(2, 1) }
        let reader = FrameReader(fd: 0, maxFrameBytes: maxFrameBytes)
        // The next request often follows within microseconds (a decoder's backward after its
        // forward): polling briefly before sleeping saves a wake-up per message.
        if fcntl(0, F_SETFL, fcntl(0, F_GETFL) | O_NONBLOCK) == 0 { reader.spinNanoseconds = 50_000 }
        let writer = FrameWriter(fd: rpcOut >= 0 ? rpcOut : 1)
        let session = PluginSession<Plugin>()

        while true {
            let frame: Frame
            do {
                guard let next = try reader.readFrame() else { exit(0) }
                frame = next
            } catch {
                let rpc = RPCError(code: RPCErrorCode.parseError, message: "unreadable frame: \(error)")
                try? writer.write(try session.codec.encode(RPCErrorResponse(id: nil, error: rpc)))
                exit(2)
            }
            guard let reply = session.handle(frame) else { continue }
            do {
                try writer.write(reply)
            } catch {
                exit(3)  // the coordinator went away
            }
            session.finishDeferredWork()
            if session.finished { exit(0) }
        }
    }
}
