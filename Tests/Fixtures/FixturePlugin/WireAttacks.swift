import Foundation
import Glibc
import PluginProtocol

/// Attacks on the coordinator's reading of the RPC stream. Each writes on the
/// plugin's RPC output behind PluginKit's back.
enum WireAttacks {
    /// The RPC output (a copy of the original stdout), set up by main.swift.
    nonisolated(unsafe) static var output: FrameWriter!

    /// `garbage-stdout`: what a stray debug print or a corrupted writer puts on the
    /// stream, without end, and never a header terminator (`\r\n\r\n`).
    static func garbage() -> Never {
        var chunk = Array("DEBUG forward: batch received, computing...\n".utf8)
        chunk += (0..<4096).map { UInt8(truncatingIfNeeded: $0 &* 37) }.filter { $0 != 13 }
        while true { writeRaw(chunk) }
    }

    /// `oversized-frame`: a header announcing 999,999,999,999 bytes (the largest
    /// length the 12-digit field allows, about 1 TB), then the body's first bytes
    /// and filler for as long as the coordinator reads.
    static func oversizedFrame() -> Never {
        writeRaw(Array("Content-Length: 999999999999\r\n\r\n".utf8))
        writeRaw(Array(#"{"jsonrpc":"2.0","id":3,"result":{"output":{"dtype":"f32","shape":[1],"data":""#.utf8))
        let filler = [UInt8](repeating: UInt8(ascii: "A"), count: 64 * 1024)
        while true { writeRaw(filler) }
    }

    /// `huge-json`: a well-formed answer of 200 MB, under the frame limit, almost all of it one
    /// JSON string: decoding it would cost the coordinator gigabytes.
    static func hugeJSON() -> Never {
        let head = Array(
            #"{"jsonrpc":"2.0","id":3,"result":{"output":{"dtype":"f32","shape":[1],"data":"AAAAAA=="},"pad":""#.utf8)
        let tail = Array(#""}}"#.utf8)
        let padding = 200_000_000
        writeRaw(Array("Content-Length: \(head.count + padding + tail.count)\r\n\r\n".utf8) + head)
        let filler = [UInt8](repeating: UInt8(ascii: "A"), count: 1 << 20)
        for _ in 0..<(padding >> 20) { writeRaw(filler) }
        writeRaw([UInt8](repeating: UInt8(ascii: "A"), count: padding & ((1 << 20) - 1)) + tail)
        hang()
    }

    /// `log-flood`: well-formed `log` notifications as fast as the pipe takes them,
    /// then a normal answer (if the coordinator is still listening).
    static func logFlood() {
        let codec = MessageCodec()
        for i in 0..<100_000 {
            let note = RPCRequest(id: nil, method: MethodName.log, params: LogParams(level: .info, message: "log-flood \(i)"))
            guard let frame = try? codec.encode(note), (try? output.write(frame)) != nil else { exit(3) }
        }
    }

    /// Writes all of `bytes` on the RPC output; exits once the coordinator has gone.
    static func writeRaw(_ bytes: [UInt8]) {
        var done = 0
        while done < bytes.count {
            let n = bytes.withUnsafeBytes { write(output.fd, $0.baseAddress! + done, $0.count - done) }
            if n > 0 { done += n } else if n < 0 && errno == EINTR { continue } else { exit(3) }
        }
    }
}

/// `nan-output`, `wrong-shape`, `wrong-id`: a minimal protocol peer, because a forged
/// answer needs the forward's request id. It answers `initialize` (any offered
/// transport it knows but shared memory) and `configure` honestly, forges
/// its answer to the first `forward`, and answers later forwards with zeros of the
/// right shape. The tensors are written by hand (base64 or binary, as negotiated) so
/// that no encoder-side check can clean them up.
enum ForgedReplies {
    static func serve(role: PluginRole) -> Never {
        let writer = WireAttacks.output!
        dup2(2, 1)
        let reader = FrameReader(fd: 0, maxFrameBytes: 256 << 20)
        var codec = MessageCodec(transport: .base64)
        var outputShape: [Int]?
        var forwards = 0

        while let frame = try? reader.readFrame() {
            guard let head = try? codec.decodeHead(frame), let method = head.method, let id = head.id else { continue }
            var reply: Frame
            var transport = codec.transport
            do {
                switch method {
                case MethodName.initialize:
                    let p = try codec.decode(RPCRequest<InitializeParams>.self, from: frame).params
                    transport = p.transports.compactMap(TensorTransport.init(rawValue:)).first { $0 != .sharedMemory } ?? .base64
                    reply = try codec.encode(
                        RPCResult(
                            id: id,
                            result: InitializeResult(
                                name: Cue.behaviour, version: "1.0.0", role: role, protocol: .current,
                                transport: transport, parameters: Cue.parameters, debugVariables: [])))
                case MethodName.configure:
                    let p = try codec.decode(RPCRequest<ConfigureParams>.self, from: frame).params
                    try p.validate()
                    let values = try Cue.parameters.resolve(p.parameters)
                    outputShape = p.outputShape
                    reply = try codec.encode(RPCResult(id: id, result: ConfigureResult(parameterCount: 0, parameters: values)))
                case MethodName.forward:
                    let p = try codec.decode(RPCRequest<ForwardParams>.self, from: frame).params
                    guard let shape = outputShape else { throw RPCError.wrongState("not configured yet") }
                    let batch = p.input.shape[0]
                    let right = [batch] + shape
                    let count = right.reduce(1, *)
                    forwards += 1
                    switch forwards == 1 ? Cue.behaviour : "answer normally" {
                    case "nan-output":
                        var values = [Float](repeating: 0.5, count: count)
                        values[count / 2] = .nan
                        reply = tensorResponse(id: id, shape: right, values: values, transport: transport)
                    case "wrong-shape":
                        let wrong = [batch] + shape.map { $0 + 1 }
                        reply = tensorResponse(
                            id: id, shape: wrong, values: .init(repeating: 0.5, count: wrong.reduce(1, *)), transport: transport)
                    case "wrong-id":
                        guard case .number(let n) = id else { throw RPCError.invalidParams("integer ids only") }
                        // The id the coordinator would use next: an answer to a question not asked yet.
                        reply = tensorResponse(
                            id: .number(n + 1), shape: right, values: .init(repeating: 0.5, count: count), transport: transport)
                    default:
                        reply = tensorResponse(
                            id: id, shape: right, values: .init(repeating: 0, count: count), transport: transport)
                    }
                case MethodName.shutdown:
                    try? writer.write(try codec.encode(RPCResult(id: id, result: Empty())))
                    exit(0)
                default:
                    throw RPCError(
                        code: RPCErrorCode.methodNotFound, message: "this fixture only serves initialize, configure and forward")
                }
            } catch {
                let rpc = error as? RPCError ?? RPCError(code: RPCErrorCode.internalError, message: "\(error)")
                reply = (try? codec.encode(RPCErrorResponse(id: id, error: rpc))) ?? Frame(json: [])
            }
            do { try writer.write(reply) } catch { exit(3) }
            codec = MessageCodec(transport: transport)
        }
        exit(0)
    }

    /// `{"jsonrpc":"2.0","id":ID,"result":{"output":TENSOR}}`, the tensor under `transport`.
    static func tensorResponse(id: RPCID, shape: [Int], values: [Float], transport: TensorTransport) -> Frame {
        let bytes = values.withUnsafeBytes { Array($0) }
        let shapeText = "[" + shape.map(String.init).joined(separator: ",") + "]"
        let location = transport == .binary ? #""offset":0"# : #""data":"\#(Data(bytes).base64EncodedString())""#
        let json = #"{"jsonrpc":"2.0","id":\#(id),"result":{"output":{"dtype":"f32","shape":\#(shapeText),\#(location)}}}"#
        return Frame(json: Array(json.utf8), attachment: transport == .binary ? bytes : [])
    }
}
