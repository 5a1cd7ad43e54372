import CVectorMath
import FoundationEssentials

/// How tensors travel inside messages, agreed in `initialize`.
///
/// This enum is the one seam through which tensors cross the process boundary:
/// a faster transport is a new case here plus its negotiation, with no change to
/// the methods or to plugins that do not ask for it.
public enum TensorTransport: String, Codable, Sendable, CaseIterable {
    /// `"data"`: base64 of little-endian f32 inside the JSON. Every peer must support it.
    case base64
    /// `"offset"`: the raw little-endian f32 bytes follow the JSON in the frame's
    /// attachment (see `Frame`); the JSON holds only the byte offset.
    case binary
    /// `"shared_offset"`: the bytes lie in memory both processes map (`SharedTensorRegion`),
    /// so they cross without passing through the pipe; what does not fit is sent as under `binary`.
    case sharedMemory = "shared_memory"
}

/// Collects the binary attachment of one outgoing frame.
public final class AttachmentWriter: @unchecked Sendable {
    // Used by one encoder on one thread at a time; @unchecked because
    // Codable's userInfo wants Sendable values.
    public private(set) var bytes: [UInt8] = []

    public init() {}

    /// Appends the values' bytes and returns their offset.
    func append(_ values: [Float]) -> Int {
        let offset = bytes.count
        values.withUnsafeBytes { bytes.append(contentsOf: $0) }
        return offset
    }
}

/// Where an incoming frame's tensor bytes may be: its attachment, and the peer's shared slots.
public struct AttachmentReader: Sendable {
    public let bytes: [UInt8]
    let shared: SharedArea?

    public init(_ bytes: [UInt8]) {
        self.bytes = bytes
        self.shared = nil
    }

    init(_ bytes: [UInt8], shared: SharedArea?) {
        self.bytes = bytes
        self.shared = shared
    }
}

extension CodingUserInfoKey {
    static let attachmentWriter = CodingUserInfoKey(rawValue: "fe.attachmentWriter")!
    static let attachmentReader = CodingUserInfoKey(rawValue: "fe.attachmentReader")!
}

#if _endian(big)
#error("The tensor wire format is little-endian; a big-endian host must swap bytes here.")
#endif

extension Tensor: Codable {
    public func encode(to encoder: any Encoder) throws {
        try Tensor.encodeObject(shape: shape, rowStride: nil, values: values, to: encoder)
    }

    public init(from decoder: any Decoder) throws {
        let (shape, _, values) = try Tensor.decodeObject(from: decoder, allowingRowStride: false)
        self.shape = shape
        self.values = values
    }
}

extension StridedRows: Codable {
    public func encode(to encoder: any Encoder) throws {
        try Tensor.encodeObject(shape: shape, rowStride: isDense ? nil : rowStride, values: values, to: encoder)
    }

    public init(from decoder: any Decoder) throws {
        let (shape, rowStride, values) = try Tensor.decodeObject(from: decoder, allowingRowStride: true)
        guard let rowStride else {
            self.init(Tensor(shape: shape, values: values))
            return
        }
        self.init(shape: shape, rowStride: rowStride, values: values)
    }
}

extension Tensor {
    enum CodingKeys: String, CodingKey {
        case dtype, shape, data, offset, sharedOffset = "shared_offset", rowStride = "row_stride"
    }

    /// A tensor object: `rowStride` (overlapping rows, `StridedRows`) only when given.
    static func encodeObject(shape: [Int], rowStride: Int?, values: [Float], to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode("f32", forKey: .dtype)
        try c.encode(shape, forKey: .shape)
        try c.encodeIfPresent(rowStride, forKey: .rowStride)
        if let writer = encoder.userInfo[.attachmentWriter] as? AttachmentWriter {
            try c.encode(writer.append(values), forKey: .offset)
        } else {
            let data = values.withUnsafeBytes { Data($0) }
            try c.encode(data.base64EncodedString(), forKey: .data)
        }
    }

    /// A tensor object's shape, its `row_stride` (refused unless `allowingRowStride`) and the
    /// values it stores, checked: the byte count against the shape, and every value finite.
    static func decodeObject(from decoder: any Decoder, allowingRowStride: Bool) throws -> (
        shape: [Int], rowStride: Int?, values: [Float]
    ) {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        func fail(_ why: String) -> DecodingError {
            DecodingError.dataCorrupted(.init(codingPath: c.codingPath, debugDescription: "tensor: \(why)"))
        }
        let dtype = try c.decode(String.self, forKey: .dtype)
        guard dtype == "f32" else { throw fail("dtype must be \"f32\", got \"\(dtype.prefix(16))\"") }
        let shape = try c.decode([Int].self, forKey: .shape)
        guard !shape.isEmpty, shape.count <= Tensor.maxRank else {
            throw fail("rank must be 1...\(Tensor.maxRank), got \(shape.count)")
        }
        guard var count = Tensor.checkedCount(shape) else { throw fail("invalid shape \(shape)") }
        let rowStride = try c.decodeIfPresent(Int.self, forKey: .rowStride)
        if let rowStride {
            guard allowingRowStride else { throw fail("row_stride is allowed only in the input of a forward request") }
            guard let stored = StridedRows.storedCount(shape: shape, rowStride: rowStride) else {
                throw fail(
                    "row_stride \(rowStride) does not fit shape \(shape) (rank 2 or more, 1 <= row_stride <= the values per row, "
                        + "at most \(StridedRows.maxDenseValues) values in all)")
            }
            count = stored
        }
        let byteCount = count * 4
        // The shape is the sender's claim: nothing is allocated for it until the
        // bytes that back it are known to be there.
        var values: [Float]

        let places = [CodingKeys.data, .offset, .sharedOffset].filter(c.contains)
        guard places.count <= 1 else { throw fail("has more than one of data, offset and shared_offset") }
        if let text = try c.decodeIfPresent(String.self, forKey: .data) {
            // Checked arithmetic: the shape is the sender's claim, and a huge one must not trap.
            let (expectedLength, overflow) = ((byteCount + 2) / 3).multipliedReportingOverflow(by: 4)
            guard !overflow, text.utf8.count >= expectedLength, text.utf8.count - expectedLength <= 4,
                let data = Data(base64Encoded: text)
            else {
                throw fail("data is not base64 of the \(byteCount) bytes shape \(shape) needs (needs \(byteCount) bytes)")
            }
            guard data.count == byteCount else { throw fail("shape \(shape) needs \(byteCount) bytes, data has \(data.count)") }
            values = data.withUnsafeBytes { Tensor.copyValues(count: count, from: $0) }
        } else if let offset = try c.decodeIfPresent(Int.self, forKey: .offset) {
            guard let reader = decoder.userInfo[.attachmentReader] as? AttachmentReader else {
                throw fail("offset given but the transport is base64 (no attachment)")
            }
            guard let attached = Tensor.attachmentValues(reader.bytes, offset: offset, count: count) else {
                if reader.bytes.isEmpty && byteCount > 0 { throw fail("offset given but the frame has no attachment") }
                throw fail(
                    "\(byteCount) bytes at offset \(offset) are outside the \(reader.bytes.count)-byte attachment or misaligned")
            }
            values = attached
        } else if let offset = try c.decodeIfPresent(Int.self, forKey: .sharedOffset) {
            guard let area = (decoder.userInfo[.attachmentReader] as? AttachmentReader)?.shared else {
                throw fail("shared_offset given but the transport is not shared_memory")
            }
            guard offset % 4 == 0, let bytes = area.bytes(at: offset, count: byteCount) else {
                throw fail("\(byteCount) bytes at shared offset \(offset) are outside the peer's slots or misaligned")
            }
            values = Tensor.copyValues(count: count, from: bytes)
        } else {
            throw fail("needs \"data\" (base64), \"offset\" (binary) or \"shared_offset\" (shared_memory)")
        }
        if Tensor.hasNonFinite(values), let bad = values.firstIndex(where: { !$0.isFinite }) {
            throw fail("value \(bad) is \(values[bad]); NaN and infinity are not allowed")
        }
        return (shape, rowStride, values)
    }
}

extension Tensor {
    /// `count` values copied from `bytes` (which hold at least that many) into fresh storage,
    /// with no zero-filling pass first. Copied before anything checks them: a peer sharing the
    /// memory may still be writing.
    static func copyValues(count: Int, from bytes: UnsafeRawBufferPointer) -> [Float] {
        [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
            UnsafeMutableRawBufferPointer(buffer).copyMemory(from: UnsafeRawBufferPointer(rebasing: bytes[0..<(count * 4)]))
            initialized = count
        }
    }

    /// The `count` values at byte `offset` of an attachment, or nil if they are not all inside it or misaligned.
    static func attachmentValues(_ attachment: [UInt8], offset: Int, count: Int) -> [Float]? {
        guard attachmentHolds(attachment, offset: offset, count: count) else { return nil }
        return attachment.withUnsafeBytes { copyValues(count: count, from: UnsafeRawBufferPointer(rebasing: $0[offset...])) }
    }

    /// Whether `count` values at byte `offset` lie wholly inside `attachment`, aligned.
    static func attachmentHolds(_ attachment: [UInt8], offset: Int, count: Int) -> Bool {
        let byteCount = count * 4
        return offset >= 0 && offset % 4 == 0 && byteCount <= attachment.count && offset <= attachment.count - byteCount
    }

    /// The number of values `shape` holds, if it is a shape the protocol carries.
    static func checkedCount(_ shape: [Int]) -> Int? {
        guard !shape.isEmpty, shape.count <= maxRank, let count = elementCount(shape), count <= Int.max / 4 else { return nil }
        return count
    }

    /// Whether any value is NaN or infinite: an exponent of all ones. One branch-free pass at
    /// the CPU's widest vector width (CVectorMath); the common, all-finite case reads each value once.
    public static func hasNonFinite(_ values: [Float]) -> Bool {
        values.withUnsafeBufferPointer { fe_all_finite_f32($0.baseAddress, $0.count) == 0 }
    }

    /// `count` values copied from `bytes` into fresh storage and checked in the same pass, or
    /// nil if any is NaN or infinite. The copy is what is checked, so a peer still writing
    /// shared memory cannot slip a value past the check.
    static func copyFiniteValues(count: Int, from bytes: UnsafeRawBufferPointer) -> [Float]? {
        precondition(bytes.count >= count * 4)
        var finite = true
        let values = [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
            if count > 0 { finite = fe_copy_finite_f32(buffer.baseAddress!, bytes.baseAddress!, count) != 0 }
            initialized = count
        }
        return finite ? values : nil
    }
}
