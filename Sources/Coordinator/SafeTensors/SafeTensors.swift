import FeatureExtractorSupport
import PluginProtocol

/// Model weights in the safetensors format (https://huggingface.co/docs/safetensors), so
/// that a trained model loads in Python (`safetensors.numpy.load_file`) and elsewhere.
///
/// Layout: an 8-byte little-endian header length, a JSON header
/// `{"__metadata__": {String: String}, name: {"dtype":"F32","shape":[...],"data_offsets":[b,e]}}`
/// padded with spaces to a multiple of 8 (so the data is aligned), then the raw
/// little-endian tensor data. Only F32 is used here, which is what the plugins produce.
package struct SafeTensors: Sendable, Equatable {
    package struct Tensor: Sendable, Equatable {
        package var shape: [Int]
        /// Row-major values; `values.count` equals the product of `shape`.
        package var values: [Float]

        package init(shape: [Int], values: [Float]) {
            self.shape = shape
            self.values = values
        }
    }

    package var tensors: [String: Tensor]
    package var metadata: [String: String]

    package init(tensors: [String: Tensor] = [:], metadata: [String: String] = [:]) {
        self.tensors = tensors
        self.metadata = metadata
    }

    static let metadataKey = "__metadata__"

    /// The file's bytes. Deterministic - tensors sorted by name, metadata by key, fixed
    /// spacing - so the same weights always hash and sign to the same digest.
    package func serialized() throws -> [UInt8] {
        let ordered = tensors.sorted { $0.key < $1.key }
        var header = "{"
        var members: [String] = []
        if !metadata.isEmpty {
            let entries = metadata.sorted { $0.key < $1.key }.map { "\(JSONString.quote($0.key)):\(JSONString.quote($0.value))" }
            members.append("\(JSONString.quote(Self.metadataKey)):{\(entries.joined(separator: ","))}")
        }
        var offset = 0
        for (name, tensor) in ordered {
            guard name != Self.metadataKey else {
                throw DataError(file: "<safetensors>", field: name, message: "a tensor cannot be named \(Self.metadataKey)")
            }
            guard let count = Self.elementCount(tensor.shape), count == tensor.values.count else {
                throw DataError(
                    file: "<safetensors>", field: name,
                    message: "shape \(tensor.shape) does not match \(tensor.values.count) values")
            }
            let end = offset + count * 4
            let shape = tensor.shape.map(String.init).joined(separator: ",")
            members.append(
                "\(JSONString.quote(name)):{\"dtype\":\"F32\",\"shape\":[\(shape)],\"data_offsets\":[\(offset),\(end)]}")
            offset = end
        }
        header += members.joined(separator: ",") + "}"
        var headerBytes = Array(header.utf8)
        // Pad so that 8 + header length is a multiple of 8: the data section starts aligned.
        while headerBytes.count % 8 != 0 { headerBytes.append(0x20) }

        var bytes: [UInt8] = []
        bytes.reserveCapacity(8 + headerBytes.count + offset)
        withUnsafeBytes(of: UInt64(headerBytes.count).littleEndian) { bytes.append(contentsOf: $0) }
        bytes.append(contentsOf: headerBytes)
        for (_, tensor) in ordered {
            for value in tensor.values {
                withUnsafeBytes(of: value.bitPattern.littleEndian) { bytes.append(contentsOf: $0) }
            }
        }
        return bytes
    }

    /// Writes the file atomically (a crash never leaves a half-written model), mode 0644.
    package func write(path: String) throws {
        let bytes: [UInt8]
        do {
            bytes = try serialized()
        } catch var error as DataError {
            error.file = path
            throw error
        }
        try AtomicFileWriter.write(bytes, to: path, mode: 0o644)
    }

    /// Reads and validates a file; files larger than `maxBytes` are refused before reading.
    package static func read(path: String, maxBytes: Int = 2 << 30) throws -> SafeTensors {
        let bytes = try DataError.reading { () throws(FileError) in
            try BoundedFile.read(path: path, maxBytes: maxBytes, what: "a safetensors file")
        }
        return try parse(bytes, source: path)
    }

    /// Product of a shape's dimensions, or nil if one is negative or the byte size
    /// (product x 4) would overflow.
    static func elementCount(_ shape: [Int]) -> Int? {
        var count = 1
        for dimension in shape {
            guard dimension >= 0 else { return nil }
            let (product, overflow) = count.multipliedReportingOverflow(by: dimension)
            guard !overflow else { return nil }
            count = product
        }
        guard !count.multipliedReportingOverflow(by: 4).overflow else { return nil }
        return count
    }
}
