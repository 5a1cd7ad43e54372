import Glibc
import PluginKit
import PluginProtocol

/// PluginKit's own session, declaring every capability as every PluginKit plugin does, with
/// requests rewritten before the session sees them: a plugin that claims a capability and gets
/// it wrong. `plugin check` must say so.
/// - `ignores-step-in-backward`: each `backward` loses its `"step": true`; it never steps there.
/// - `misreads-row-stride`: a `forward` input with `row_stride` is read as if its rows lay back
///   to back (the series' values in order, zeros past its end), as a plugin that ignores the
///   member would.
enum RequestRewriter {
    static func serve<Plugin: NeuralNetworkPlugin>(_ plugin: Plugin.Type) -> Never {
        let writer = WireAttacks.output!
        dup2(2, 1)
        let reader = FrameReader(fd: 0, maxFrameBytes: 256 << 20)
        let session = PluginSession<Plugin>()
        var codec = MessageCodec(transport: .base64)
        while let frame = try? reader.readFrame() {
            var request = frame
            let head = try? codec.decodeHead(frame)
            if head?.method == MethodName.initialize, let id = head?.id,
                var p = try? codec.decode(RPCRequest<InitializeParams>.self, from: frame).params
            {
                // It rewrites requests, which it could not do to tensors in shared memory.
                p.transports.removeAll { $0 == TensorTransport.sharedMemory.rawValue }
                request = (try? codec.encode(RPCRequest(id: id, method: MethodName.initialize, params: p))) ?? frame
            }
            if head?.method == MethodName.backward, let id = head?.id, Cue.behaviour == "ignores-step-in-backward",
                var p = try? codec.decode(RPCRequest<BackwardParams>.self, from: frame).params, p.step == true
            {
                p.step = nil
                request = (try? codec.encode(RPCRequest(id: id, method: MethodName.backward, params: p))) ?? frame
            }
            if head?.method == MethodName.forward, let id = head?.id, Cue.behaviour == "misreads-row-stride",
                let p = try? codec.decode(RPCRequest<StridedForwardParams>.self, from: frame).params, !p.input.isDense
            {
                let count = p.input.shape.reduce(1, *)
                let misread = Array((p.input.values + Array(repeating: 0, count: count)).prefix(count))
                let params = ForwardParams(input: Tensor(shape: p.input.shape, values: misread), training: p.training)
                request = (try? codec.encode(RPCRequest(id: id, method: MethodName.forward, params: params))) ?? frame
            }
            guard let reply = session.handle(request) else { continue }
            if head?.method == MethodName.initialize,
                let result = try? codec.decodeIncoming(reply, resultType: InitializeResult.self).result
            {
                codec = MessageCodec(transport: result.transport)  // as the session itself switches
            }
            do { try writer.write(reply) } catch { exit(3) }
            if session.finished { exit(0) }
        }
        exit(0)
    }
}
