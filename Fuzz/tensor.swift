import PluginProtocol

// The tensor codec under both transports, the way every `forward`/`backward` result reaches
// the host: a tensor inside a message, its bytes as base64 in the JSON or at an offset in the
// frame's attachment. A decoded tensor must be finite, hold exactly as many values as its
// shape says, and come back unchanged from encode-then-decode under either transport.
//
// Input: one byte choosing the transport, then the JSON of `{"output": <tensor>}` (or any
// bytes), then, after the first NUL byte, the attachment.

private let codecs = [MessageCodec(transport: .base64), MessageCodec(transport: .binary)]

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard size >= 1 else { return 0 }
    let bytes = UnsafeBufferPointer(start: data, count: size)
    let body = bytes[1...]
    let split = body.firstIndex(of: 0) ?? body.endIndex
    let frame = Frame(
        json: Array(body[..<split]), attachment: split == body.endIndex ? [] : Array(body[(split + 1)...]))
    let codec = codecs[Int(bytes[0] & 1)]
    guard let tensor = try? codec.decode(ForwardResult.self, from: frame).output else { return 0 }
    guard Tensor.elementCount(tensor.shape) == tensor.values.count, (1...Tensor.maxRank).contains(tensor.rank) else {
        fatalError("decoded a tensor whose shape \(tensor.shape) does not hold its \(tensor.values.count) values")
    }
    guard !Tensor.hasNonFinite(tensor.values), tensor.values.allSatisfy(\.isFinite) else {
        fatalError("decoded a tensor with a non-finite value")
    }
    for other in codecs {
        do {
            let again = try other.decode(ForwardResult.self, from: other.encode(ForwardResult(output: tensor))).output
            guard again == tensor else { fatalError("tensor changed in a round trip under \(other.transport)") }
        } catch {
            fatalError("a decoded tensor does not round-trip under \(other.transport): \(error)")
        }
    }
    return 0
}
