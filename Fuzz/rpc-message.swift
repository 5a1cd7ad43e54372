import FeatureExtractorSupport
import PluginProtocol

@testable import PluginHost

// The JSON-RPC message validator as the host applies it to every frame a plugin sends
// (`PluginConnection.receive`): the envelope and typed result in one pass, a `log`
// notification's params, and the checks made on the handshake's and a state's contents.
//
// Input: one byte choosing the transport and the awaited result type, then the frame's JSON,
// then (after the first NUL byte, which JSON text never contains) its binary attachment.

/// Decodes as the host does when awaiting `R`; a decoded result must survive a round trip.
private func receive<R: Codable & Equatable & Sendable>(
    _ frame: Frame, codec: MessageCodec, as type: R.Type, check: (R) throws(RPCError) -> Void = { _ throws(RPCError) in }
) {
    let incoming: RPCIncoming<R>
    do {
        incoming = try codec.decodeIncoming(frame, resultType: R.self)
    } catch {
        _ = DisplayText.escaped(error.message, limit: 500)
        return
    }
    let head = incoming.head
    if let method = head.method {
        guard method == MethodName.log, head.id == nil else { return }
        if let params = try? codec.decode(RPCRequest<LogParams>.self, from: frame).params {
            let clean = DisplayText.escaped(params.message, limit: 1000)
            guard !clean.unicodeScalars.contains(where: { $0.value < 0x20 }) else { fatalError("control character logged") }
        }
        return
    }
    if let error = head.error {
        _ = DisplayText.escaped(error.message, limit: 500)
        return
    }
    guard let result = incoming.result else {
        guard incoming.resultProblem != nil || !head.hasResult else { fatalError("no result and no reason") }
        return
    }
    try? check(result)
    // What the host accepted, sent back the same way, must decode to the same value.
    do {
        let again = try codec.encode(RPCResult(id: head.id ?? .number(0), result: result))
        let decoded = try codec.decodeIncoming(again, resultType: R.self)
        guard decoded.result == result else { fatalError("result changed in a round trip: \(result)") }
    } catch {
        fatalError("an accepted result does not round-trip: \(error)")
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard size >= 1 else { return 0 }
    let bytes = UnsafeBufferPointer(start: data, count: size)
    let selector = bytes[0]
    let body = bytes[1...]
    let split = body.firstIndex(of: 0) ?? body.endIndex
    let json = Array(body[..<split])
    let attachment = split == body.endIndex ? [] : Array(body[(split + 1)...])
    let frame = Frame(json: json, attachment: attachment)
    let codec = MessageCodec(transport: selector & 1 == 0 ? .base64 : .binary)
    switch (selector >> 1) % 8 {
    case 0: receive(frame, codec: codec, as: InitializeResult.self) { r throws(RPCError) in try r.validate() }
    case 1: receive(frame, codec: codec, as: ForwardResult.self)
    case 2: receive(frame, codec: codec, as: BackwardResult.self)
    case 3: receive(frame, codec: codec, as: StepResult.self)
    case 4: receive(frame, codec: codec, as: ModelState.self) { s throws(RPCError) in try s.validate() }
    case 5: receive(frame, codec: codec, as: ConfigureResult.self)
    case 6: receive(frame, codec: codec, as: DebugInfoResult.self)
    default: receive(frame, codec: codec, as: Empty.self)
    }
    return 0
}
