import Foundation

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

/// The binary attachment of one incoming frame.
public struct AttachmentReader: Sendable {
    public let bytes: [UInt8]
    public init(_ bytes: [UInt8]) { self.bytes = bytes }
}

extension CodingUserInfoKey {
    static let attachmentWriter = CodingUserInfoKey(rawValue: "fe.attachmentWriter")!
    static let attachmentReader = CodingUserInfoKey(rawValue: "fe.attachmentReader")!
}

#if _endian(big)
#error("The tensor wire format is little-endian; a big-endian host must swap bytes here.")
#endif

extension Tensor: Codable {
    enum CodingKeys: String, CodingKey { case dtype, shape, data, offset }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode("f32", forKey: .dtype)
        try c.encode(shape, forKey: .shape)
        if let writer = encoder.userInfo[.attachmentWriter] as? AttachmentWriter {
            try c.encode(writer.append(values), forKey: .offset)
        } else {
            let data = values.withUnsafeBytes { Data($0) }
            try c.encode(data.base64EncodedString(), forKey: .data)
        }
    }

    public init(from decoder: any Decoder) throws {
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
        guard let count = Tensor.elementCount(shape), count <= Int.max / 4 else { throw fail("invalid shape \(shape)") }
        let byteCount = count * 4
        // The shape is the sender's claim: nothing is allocated for it until the
        // bytes that back it are known to be there.
        var values: [Float]

        if let text = try c.decodeIfPresent(String.self, forKey: .data) {
            guard c.contains(.offset) == false else { throw fail("has both data and offset") }
            // Checked arithmetic: the shape is the sender's claim, and a huge one must not trap.
            let (expectedLength, overflow) = ((byteCount + 2) / 3).multipliedReportingOverflow(by: 4)
            guard !overflow, text.utf8.count >= expectedLength, text.utf8.count - expectedLength <= 4,
                let data = Data(base64Encoded: text)
            else {
                throw fail("data is not base64 of the \(byteCount) bytes shape \(shape) needs (needs \(byteCount) bytes)")
            }
            guard data.count == byteCount else { throw fail("shape \(shape) needs \(byteCount) bytes, data has \(data.count)") }
            values = [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
                _ = data.copyBytes(to: UnsafeMutableRawBufferPointer(buffer))
                initialized = count
            }
        } else if let offset = try c.decodeIfPresent(Int.self, forKey: .offset) {
            guard let reader = decoder.userInfo[.attachmentReader] as? AttachmentReader else {
                throw fail("offset given but the transport is base64 (no attachment)")
            }
            guard offset >= 0, offset % 4 == 0, byteCount <= reader.bytes.count, offset <= reader.bytes.count - byteCount else {
                if reader.bytes.isEmpty && byteCount > 0 { throw fail("offset given but the frame has no attachment") }
                throw fail(
                    "\(byteCount) bytes at offset \(offset) are outside the \(reader.bytes.count)-byte attachment or misaligned")
            }
            // Copied straight into uninitialised storage: no zero-filling pass first.
            values = [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
                reader.bytes.withUnsafeBytes { src in
                    UnsafeMutableRawBufferPointer(buffer).copyMemory(
                        from: UnsafeRawBufferPointer(rebasing: src[offset..<(offset + byteCount)]))
                }
                initialized = count
            }
        } else {
            throw fail("needs \"data\" (base64) or \"offset\" (binary)")
        }
        if Tensor.hasNonFinite(values), let bad = values.firstIndex(where: { !$0.isFinite }) {
            throw fail("value \(bad) is \(values[bad]); NaN and infinity are not allowed")
        }
        self.shape = shape
        self.values = values
    }
}

extension Tensor {
    /// Whether any value is NaN or infinite: an exponent of all ones. A branch-free reduction
    /// over the bit patterns, which the compiler vectorises; the common, all-finite case is one pass.
    public static func hasNonFinite(_ values: [Float]) -> Bool {
        values.withUnsafeBufferPointer { buffer in
            buffer.withMemoryRebound(to: UInt32.self) { bits in
                var largest: UInt32 = 0
                for b in bits { largest = Swift.max(largest, b & 0x7F80_0000) }
                return largest == 0x7F80_0000
            }
        }
    }
}
