import Glibc
import PluginKit
import PluginProtocol

/// `ignores-step-in-backward`: PluginKit's own session, declaring `step_in_backward` as every
/// PluginKit plugin does, but each `backward` loses its `"step": true` before the session sees
/// it: a plugin that claims the capability and never steps there. `plugin check` must say so.
enum StepIgnorer {
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
            if head?.method == MethodName.backward, let id = head?.id,
                var p = try? codec.decode(RPCRequest<BackwardParams>.self, from: frame).params, p.step == true
            {
                p.step = nil
                request = (try? codec.encode(RPCRequest(id: id, method: MethodName.backward, params: p))) ?? frame
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
