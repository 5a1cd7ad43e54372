/// The training hot path without Codable: `forward`, `backward` and `step` requests and their
/// results are written as bytes and read with `JSONCursor`, several times a batch on each side.
///
/// Generic Codable was most of the per-message cost (metadata lookups, boxing, a JSON tree per
/// message). Reading here accepts only the plain form the writers produce; any other valid
/// message falls back to Codable, which also words every error, so both paths accept exactly
/// the same messages and produce the same values. Only the `binary` and `shared_memory`
/// transports take this path: `base64` is for simple peers, not for speed.

/// A message the hot path writes directly.
protocol HotPathEncodable {
    func write(_ json: inout JSONBytes, _ tensors: inout TensorPlacer)
}

/// A message the hot path reads directly; nil means "not the plain form: use Codable".
protocol HotPathDecodable {
    static func read(_ c: inout JSONCursor, _ tensors: TensorSource) -> Self?
}

/// Puts one outgoing message's tensors in this side's shared slot while they fit, else in the attachment.
struct TensorPlacer {
    private(set) var attachment: [UInt8] = []
    private let slot: (start: Int, bytes: UnsafeMutableRawBufferPointer)?
    private var used = 0
    /// Whether the slot was written (the next message then takes the other one).
    private(set) var wroteSlot = false

    init(slot: (start: Int, bytes: UnsafeMutableRawBufferPointer)?) { self.slot = slot }

    mutating func write(_ tensor: Tensor, into json: inout JSONBytes) {
        write(shape: tensor.shape, rowStride: nil, values: tensor.values, into: &json)
    }

    /// Overlapping rows with their `row_stride`; dense ones as any tensor.
    mutating func write(_ rows: StridedRows, into json: inout JSONBytes) {
        write(shape: rows.shape, rowStride: rows.isDense ? nil : rows.rowStride, values: rows.values, into: &json)
    }

    private mutating func write(shape: [Int], rowStride: Int?, values: [Float], into json: inout JSONBytes) {
        json.append(#"{"dtype":"f32","shape":"#)
        json.append(shape: shape)
        if let rowStride {
            json.append(#","row_stride":"#)
            json.append(rowStride)
        }
        let byteCount = values.count * 4
        if let slot, byteCount > 0, byteCount <= slot.bytes.count - used {
            values.withUnsafeBytes {
                slot.bytes.baseAddress!.advanced(by: used).copyMemory(from: $0.baseAddress!, byteCount: byteCount)
            }
            json.append(#","shared_offset":"#)
            json.append(slot.start + used)
            used += (byteCount + 63) & ~63  // each tensor cache-line aligned
            wroteSlot = true
        } else {
            json.append(#","offset":"#)
            json.append(attachment.count)
            values.withUnsafeBytes { attachment.append(contentsOf: $0) }
        }
        json.append("}")
    }
}

/// Where an incoming message's tensors may be: its attachment, and the peer's shared slots.
struct TensorSource {
    let attachment: [UInt8]
    let shared: SharedArea?

    /// A tensor object in the form `TensorPlacer` writes, its values copied and checked as
    /// `Tensor.init(from:)` checks them; overlapping rows (`row_stride`) only where
    /// `allowingRowStride`, expanded to the dense tensor.
    func read(_ c: inout JSONCursor, allowingRowStride: Bool = false) -> Tensor? {
        var dtype = false
        var shape: [Int]?
        var offset: Int?
        var sharedOffset: Int?
        var rowStride: Int?
        let plain = c.object { c, key in
            if JSONCursor.equal(key, "dtype") {
                guard !dtype, c.string(is: "f32") else { return false }
                dtype = true
            } else if JSONCursor.equal(key, "shape") {
                guard shape == nil else { return false }
                shape = c.integers(limit: Tensor.maxRank)
                return shape != nil
            } else if JSONCursor.equal(key, "offset") {
                guard offset == nil, sharedOffset == nil else { return false }
                offset = c.integer()
                return offset != nil
            } else if JSONCursor.equal(key, "shared_offset") {
                guard offset == nil, sharedOffset == nil else { return false }
                sharedOffset = c.integer()
                return sharedOffset != nil
            } else if JSONCursor.equal(key, "row_stride"), allowingRowStride {
                guard rowStride == nil else { return false }
                rowStride = c.integer()
                return rowStride != nil
            } else {
                return false
            }
            return true
        }
        guard plain, dtype, let shape, var count = Tensor.checkedCount(shape) else { return nil }
        if let rowStride {
            guard let stored = StridedRows.storedCount(shape: shape, rowStride: rowStride) else { return nil }
            count = stored
        }
        var values: [Float]?
        if let offset, Tensor.attachmentHolds(attachment, offset: offset, count: count) {
            values = attachment.withUnsafeBytes {
                Tensor.copyFiniteValues(count: count, from: UnsafeRawBufferPointer(rebasing: $0[offset...]))
            }
        } else if let sharedOffset, let shared, sharedOffset % 4 == 0,
            let bytes = shared.bytes(at: sharedOffset, count: count * 4)
        {
            values = Tensor.copyFiniteValues(count: count, from: bytes)  // nil also if not all finite
        }
        guard let values else { return nil }
        guard let rowStride else { return Tensor(shape: shape, values: values) }
        return values.withUnsafeBufferPointer { StridedRows.expand($0, shape: shape, rowStride: rowStride) }
    }
}

extension ForwardParams: HotPathEncodable, HotPathDecodable {
    func write(_ json: inout JSONBytes, _ tensors: inout TensorPlacer) {
        StridedForwardParams(input: StridedRows(input), training: training).write(&json, &tensors)  // dense: no row_stride
    }

    static func read(_ c: inout JSONCursor, _ tensors: TensorSource) -> ForwardParams? {
        var input: Tensor?
        var training: Bool?
        let plain = c.object { c, key in
            if JSONCursor.equal(key, "input"), input == nil {
                input = tensors.read(&c, allowingRowStride: true)
                return input != nil
            } else if JSONCursor.equal(key, "training"), training == nil {
                training = c.bool()
                return training != nil
            }
            return false
        }
        guard plain, let input, let training else { return nil }
        return ForwardParams(input: input, training: training)
    }
}

extension StridedForwardParams: HotPathEncodable {
    func write(_ json: inout JSONBytes, _ tensors: inout TensorPlacer) {
        json.append(#"{"input":"#)
        tensors.write(input, into: &json)
        json.append(#","training":"#)
        json.append(training)
        json.append("}")
    }
}

extension BackwardParams: HotPathEncodable, HotPathDecodable {
    func write(_ json: inout JSONBytes, _ tensors: inout TensorPlacer) {
        json.append(#"{"grad_output":"#)
        tensors.write(gradOutput, into: &json)
        json.append(#","need_input_grad":"#)
        json.append(needInputGradient)
        if let step {
            json.append(#","step":"#)
            json.append(step)
        }
        json.append("}")
    }

    static func read(_ c: inout JSONCursor, _ tensors: TensorSource) -> BackwardParams? {
        var gradient: Tensor?
        var needInputGradient: Bool?
        var step: Bool?
        var sawStep = false
        let plain = c.object { c, key in
            if JSONCursor.equal(key, "grad_output"), gradient == nil {
                gradient = tensors.read(&c)
                return gradient != nil
            } else if JSONCursor.equal(key, "need_input_grad"), needInputGradient == nil {
                needInputGradient = c.bool()
                return needInputGradient != nil
            } else if JSONCursor.equal(key, "step"), !sawStep {
                sawStep = true
                if c.null() { return true }
                step = c.bool()
                return step != nil
            }
            return false
        }
        guard plain, let gradient, let needInputGradient else { return nil }
        return BackwardParams(gradOutput: gradient, needInputGradient: needInputGradient, step: step)
    }
}

extension Empty: HotPathEncodable, HotPathDecodable {
    func write(_ json: inout JSONBytes, _ tensors: inout TensorPlacer) { json.append("{}") }

    static func read(_ c: inout JSONCursor, _ tensors: TensorSource) -> Empty? {
        c.object { _, _ in false } ? Empty() : nil
    }
}

extension ForwardResult: HotPathEncodable, HotPathDecodable {
    func write(_ json: inout JSONBytes, _ tensors: inout TensorPlacer) {
        json.append(#"{"output":"#)
        tensors.write(output, into: &json)
        json.append("}")
    }

    static func read(_ c: inout JSONCursor, _ tensors: TensorSource) -> ForwardResult? {
        var output: Tensor?
        let plain = c.object { c, key in
            guard JSONCursor.equal(key, "output"), output == nil else { return false }
            output = tensors.read(&c)
            return output != nil
        }
        guard plain, let output else { return nil }
        return ForwardResult(output: output)
    }
}

extension BackwardResult: HotPathEncodable, HotPathDecodable {
    func write(_ json: inout JSONBytes, _ tensors: inout TensorPlacer) {
        guard let gradInput else { return json.append("{}") }
        json.append(#"{"grad_input":"#)
        tensors.write(gradInput, into: &json)
        json.append("}")
    }

    static func read(_ c: inout JSONCursor, _ tensors: TensorSource) -> BackwardResult? {
        var gradient: Tensor?
        var saw = false
        let plain = c.object { c, key in
            guard JSONCursor.equal(key, "grad_input"), !saw else { return false }
            saw = true
            if c.null() { return true }
            gradient = tensors.read(&c)
            return gradient != nil
        }
        return plain ? BackwardResult(gradInput: gradient) : nil
    }
}

extension StepResult: HotPathEncodable, HotPathDecodable {
    func write(_ json: inout JSONBytes, _ tensors: inout TensorPlacer) {
        json.append(#"{"steps":"#)
        json.append(steps)
        json.append("}")
    }

    static func read(_ c: inout JSONCursor, _ tensors: TensorSource) -> StepResult? {
        var steps: Int?
        let plain = c.object { c, key in
            guard JSONCursor.equal(key, "steps"), steps == nil else { return false }
            steps = c.integer()
            return steps != nil
        }
        guard plain, let steps else { return nil }
        return StepResult(steps: steps)
    }
}

/// A hot-path request a plugin read without Codable.
package enum HotPathRequest {
    case forward(RPCID, ForwardParams)
    case backward(RPCID, BackwardParams)
    case step(RPCID)

    package var id: RPCID {
        switch self {
        case .forward(let id, _), .backward(let id, _), .step(let id): id
        }
    }
}
