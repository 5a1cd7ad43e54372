import FeatureExtractorSupport
import FoundationEssentials

@testable import PluginHost
@testable import PluginProtocol

// How a plugin reads a `forward` request (PluginKit's `PluginSession.handle`): first the direct
// reader (`MessageCodec.decodeHotPathRequest`), then, when it declines, the envelope
// (`decodeHead`) and the params through Codable (`RPCRequest<ForwardParams>`), under the
// base64, binary and shared_memory transports. The input tensor may carry `row_stride`
// (overlapping rows, docs/PROTOCOL.md section 4), which both paths expand into the dense tensor.
//
// Checked: the direct reader never accepts what Codable refuses and, when both accept, reads
// the same id and params (bit for bit); an accepted input holds exactly its shape's values, of
// rank 1...4, all finite, and at most `StridedRows.maxDenseValues` when it came with row_stride;
// `StridedForwardParams` (the coordinator's strided form) reads the same rows; an accepted
// request written again by the coordinator's writer (`encodeRequest`) under each transport reads
// back the same on both paths: dense, in the strided form it came in, and re-strided at the
// smallest stride its rows overlap at. A backward or step request the direct reader takes must
// be one Codable takes too, with the same params.
//
// Input: one byte choosing the transport (selector % 3: base64, binary, shared_memory), then the
// frame's JSON, then (after the first NUL byte, which JSON text never contains) its binary
// attachment. Under shared_memory the attachment is also what the coordinator's two slots hold
// (zero after it), so `shared_offset` and `offset` both find it.

private let slotBytes = 4096
private let region: SharedTensorRegion = {
    guard let r = SharedTensorRegion.forPlugin(slotBytes: slotBytes) else { fatalError("no memfd for the shared region") }
    return r
}()

/// The `row_stride` of a request's input, as Codable reads it.
private struct StrideProbe: Decodable {
    struct Params: Decodable {
        struct Input: Decodable {
            var rowStride: Int?
            enum CodingKeys: String, CodingKey { case rowStride = "row_stride" }
        }
        var input: Input
    }
    var params: Params
}

private func sameTensor(_ a: Tensor, _ b: Tensor) -> Bool {
    a.shape == b.shape && a.values.count == b.values.count
        && zip(a.values, b.values).allSatisfy { $0.bitPattern == $1.bitPattern }
}

private func same(_ a: ForwardParams, _ b: ForwardParams) -> Bool {
    a.training == b.training && sameTensor(a.input, b.input)
}

/// The plugin's general path: the envelope as `PluginSession` checks it, then the params.
private func generalRead<P: Codable & Sendable>(_ frame: Frame, _ codec: MessageCodec, method: String, as: P.Type) -> (
    RPCID, P
)? {
    guard let head = try? codec.decodeHead(frame), head.method == method, let id = head.id,
        let params = try? codec.decode(RPCRequest<P>.self, from: frame).params
    else { return nil }
    return (id, params)
}

/// Both readers on a frame under `codec`; the params the plugin would act on, if any.
private func read(_ frame: Frame, _ codec: MessageCodec) -> (RPCID, ForwardParams)? {
    let direct = codec.decodeHotPathRequest(frame)
    if codec.transport == .base64, direct != nil { fatalError("the direct reader took a base64 frame") }
    switch direct {
    case .backward(let id, let p)?:
        guard case let (gid, gp)? = generalRead(frame, codec, method: MethodName.backward, as: BackwardParams.self) else {
            fatalError("the direct reader took a backward request Codable refuses")
        }
        guard gid == id, gp.needInputGradient == p.needInputGradient, gp.step == p.step,
            sameTensor(gp.gradOutput, p.gradOutput)
        else { fatalError("the direct and Codable readers disagree on a backward request") }
        return nil
    case .step(let id)?:
        guard case let (gid, _)? = generalRead(frame, codec, method: MethodName.step, as: Empty.self), gid == id else {
            fatalError("the direct reader took a step request Codable refuses, or read another id")
        }
        return nil
    default: break
    }
    let general = generalRead(frame, codec, method: MethodName.forward, as: ForwardParams.self)
    if case .forward(let id, let p)? = direct {
        guard case let (gid, gp)? = general else { fatalError("the direct reader took a forward request Codable refuses: \(p.input.shape)") }
        guard gid == id, same(gp, p) else { fatalError("the direct and Codable readers disagree: \(p.input.shape) \(gp.input.shape)") }
    }
    return general
}

/// An accepted request's input: a tensor the protocol carries, and within the strided bound.
private func checkInput(_ input: Tensor, rowStride: Int?) {
    guard (1...Tensor.maxRank).contains(input.rank), Tensor.elementCount(input.shape) == input.values.count else {
        fatalError("accepted an input whose shape \(input.shape) does not hold its \(input.values.count) values")
    }
    guard input.values.allSatisfy(\.isFinite) else { fatalError("accepted an input with a non-finite value") }
    if let rowStride {
        guard input.rank >= 2, input.values.count <= StridedRows.maxDenseValues,
            let stored = StridedRows.storedCount(shape: input.shape, rowStride: rowStride), stored <= input.values.count
        else { fatalError("accepted row_stride \(rowStride) for shape \(input.shape)") }
    }
}

/// `params` written by the coordinator's writer under each transport reads back the same on both paths.
private func roundTrip<P: Codable & Sendable>(_ params: P, id: Int, expect: ForwardParams, what: String) {
    let pairs: [(MessageCodec, MessageCodec)] = [
        (MessageCodec(transport: .base64), MessageCodec(transport: .base64)),
        (MessageCodec(transport: .binary), MessageCodec(transport: .binary)),
        (MessageCodec(sharedMemory: region, side: .coordinator), MessageCodec(sharedMemory: region, side: .plugin)),
    ]
    for (sender, receiver) in pairs {
        var coordinator = sender
        let frame: Frame
        do {
            frame = try coordinator.encodeRequest(id: id, method: MethodName.forward, params: params)
        } catch {
            fatalError("the coordinator cannot write \(what) under \(sender.transport): \(error)")
        }
        guard case let (gid, gp)? = read(frame, receiver) else {
            fatalError("\(what) written under \(sender.transport) is refused")
        }
        guard gid == .number(id), same(gp, expect) else { fatalError("\(what) changed in a round trip under \(sender.transport)") }
        // The direct reader takes integers of up to 18 digits: the writer's plain form otherwise.
        let plain = ([id] + expect.input.shape).allSatisfy { $0 > -1_000_000_000_000_000_000 && $0 < 1_000_000_000_000_000_000 }
        if sender.transport != .base64, plain {
            guard case .forward(let did, let dp)? = receiver.decodeHotPathRequest(frame), did == .number(id), same(dp, expect) else {
                fatalError("\(what) written under \(sender.transport) is not read directly as written")
            }
        }
    }
}

/// The rows of `t` stored with the smallest stride below the row size at which they overlap, as
/// the coordinator would send them (the rows compared bit for bit); nil when none does.
private func restride(_ t: Tensor) -> StridedRows? {
    guard t.rank >= 2, t.values.count <= 4096, t.shape[0] >= 1 else { return nil }
    let rows = t.shape[0]
    let rowSize = t.values.count / rows
    guard rowSize >= 2 else { return nil }
    let v = t.values
    for k in 1..<rowSize {
        var overlaps = true
        for r in 1..<rows where overlaps {
            for j in 0..<(rowSize - k) where v[r * rowSize + j].bitPattern != v[(r - 1) * rowSize + k + j].bitPattern {
                overlaps = false
                break
            }
        }
        guard overlaps else { continue }
        var stored = Array(v[0..<rowSize])
        for r in 1..<rows { stored += v[(r * rowSize + rowSize - k)..<((r + 1) * rowSize)] }
        return StridedRows(shape: t.shape, rowStride: k, values: stored)
    }
    return nil
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard size >= 1 else { return 0 }
    let bytes = UnsafeBufferPointer(start: data, count: size)
    let body = bytes[1...]
    let split = body.firstIndex(of: 0) ?? body.endIndex
    let frame = Frame(
        json: Array(body[..<split]), attachment: split == body.endIndex ? [] : Array(body[(split + 1)...]))
    let codec: MessageCodec
    switch bytes[0] % 3 {
    case 0: codec = MessageCodec(transport: .base64)
    case 1: codec = MessageCodec(transport: .binary)
    default:
        // The coordinator's slots hold the attachment: what a plugin finds at a shared_offset.
        let (start, slots) = region.writableSlot(of: .coordinator, parity: 0)
        precondition(start == 0)
        let area = UnsafeMutableRawBufferPointer(start: slots.baseAddress!, count: 2 * slotBytes)
        let n = min(frame.attachment.count, area.count)
        frame.attachment.withUnsafeBytes { area.baseAddress!.copyMemory(from: $0.baseAddress!, byteCount: n) }
        if n < area.count { (area.baseAddress! + n).initializeMemory(as: UInt8.self, repeating: 0, count: area.count - n) }
        codec = MessageCodec(sharedMemory: region, side: .plugin)
    }
    guard case let (id, params)? = read(frame, codec) else { return 0 }

    let probe: StrideProbe
    do {
        probe = try JSONDecoder().decode(StrideProbe.self, from: Data(frame.json))
    } catch {
        fatalError("an accepted request's row_stride does not read as an integer: \(error)")
    }
    let rowStride = probe.params.input.rowStride
    checkInput(params.input, rowStride: rowStride)

    // The coordinator's strided form reads the same rows (and the same stride, if one was sent).
    let strided: StridedForwardParams
    do {
        strided = try codec.decode(RPCRequest<StridedForwardParams>.self, from: frame).params
    } catch {
        fatalError("an accepted forward request does not read as StridedForwardParams: \(error)")
    }
    guard strided.training == params.training, sameTensor(strided.input.dense(), params.input),
        rowStride == nil || strided.input.rowStride == rowStride
    else { fatalError("StridedForwardParams reads other rows than ForwardParams: \(params.input.shape) \(String(describing: rowStride))") }

    var n = 1
    if case .number(let i) = id { n = i }
    roundTrip(params, id: n, expect: params, what: "the dense request")
    if params.input.rank >= 2 {
        roundTrip(strided, id: n, expect: params, what: "the strided request (row_stride \(strided.input.rowStride))")
    }
    // The rows at the stride the coordinator would find for them.
    if let rows = restride(params.input) {
        guard sameTensor(rows.dense(), params.input) else { fatalError("rows re-strided at \(rows.rowStride) are other rows") }
        let again = StridedForwardParams(input: rows, training: params.training)
        roundTrip(again, id: n, expect: params, what: "the re-strided request (row_stride \(rows.rowStride))")
    }
    return 0
}
