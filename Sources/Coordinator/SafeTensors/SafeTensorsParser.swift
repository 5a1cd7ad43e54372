import FeatureExtractorSupport
extension SafeTensors {
    /// Parses and validates safetensors bytes. The file is untrusted (a model may come from
    /// anywhere), so every claim of the header is checked against the bytes before any is
    /// used: sizes against the file and `maxHeaderBytes`, the JSON's shape, dtypes, shapes
    /// and offsets - which must tile the data section exactly, with no gap, overlap or
    /// trailing bytes. Errors name `source` and, where it applies, the tensor.
    package static func parse(_ bytes: [UInt8], source: String, maxHeaderBytes: Int = 16 << 20) throws -> SafeTensors {
        func fail(_ message: String, tensor: String? = nil) -> DataError {
            DataError(file: source, field: tensor, message: message)
        }
        guard bytes.count >= 8 else {
            throw fail("too short for a safetensors file (\(bytes.count) bytes; the header length alone takes 8)")
        }
        var declared: UInt64 = 0
        for index in (0..<8).reversed() { declared = declared << 8 | UInt64(bytes[index]) }
        guard declared <= UInt64(max(0, maxHeaderBytes)) else {
            throw fail(
                "header length \(declared) exceeds the limit of \(maxHeaderBytes) bytes; not a safetensors file, or a hostile one"
            )
        }
        guard declared <= UInt64(bytes.count - 8) else {
            throw fail(
                "header length \(declared) runs past the end of the file (\(bytes.count) bytes); the file is truncated or not safetensors"
            )
        }
        let headerEnd = 8 + Int(declared)
        let headerBytes = Array(bytes[8..<headerEnd])
        guard isValidUTF8(headerBytes) else {
            throw fail("header is not valid UTF-8")
        }
        let json: SafeTensorsJSON
        do {
            json = try SafeTensorsJSON.parse(headerBytes)
        } catch {
            throw fail("header is not valid JSON (byte \(error.offset) of the header: \(error.message))")
        }
        guard case .object(let members) = json else {
            throw fail("header is \(json.kindName), expected a JSON object")
        }

        let dataLength = bytes.count - headerEnd
        var result = SafeTensors()
        var seen = Set<String>()
        var spans: [(name: String, begin: Int, end: Int)] = []
        for (name, value) in members {
            guard seen.insert(name).inserted else {
                throw fail("appears twice in the header", tensor: name)
            }
            if name == metadataKey {
                result.metadata = try parseMetadata(value, fail: fail)
                continue
            }
            let entry = try parseEntry(value, name: name, dataLength: dataLength, fail: fail)
            spans.append((name, entry.begin, entry.end))
            let count = entry.end - entry.begin
            let values = [Float](unsafeUninitializedCapacity: count / 4) { buffer, initialized in
                bytes.withUnsafeBytes { raw in
                    let base = headerEnd + entry.begin
                    for index in 0..<(count / 4) {
                        let word = raw.loadUnaligned(fromByteOffset: base + index * 4, as: UInt32.self)
                        buffer[index] = Float(bitPattern: UInt32(littleEndian: word))
                    }
                }
                initialized = count / 4
            }
            result.tensors[name] = Tensor(shape: entry.shape, values: values)
        }
        try checkTiling(spans, dataLength: dataLength, fail: fail)
        return result
    }

    /// Strict UTF-8 check (no replacement characters). `String(validating:)` would do, but
    /// needs macOS 15, and the package still supports macOS 13.
    static func isValidUTF8(_ bytes: [UInt8]) -> Bool {
        var iterator = bytes.makeIterator()
        var decoder = UTF8()
        while true {
            switch decoder.decode(&iterator) {
            case .scalarValue: continue
            case .emptyInput: return true
            case .error: return false
            }
        }
    }

    private typealias Failure = (String, String?) -> DataError

    private static func parseMetadata(_ value: SafeTensorsJSON, fail: Failure) throws -> [String: String] {
        guard case .object(let entries) = value else {
            throw fail("\(metadataKey) is \(value.kindName), expected an object of strings", metadataKey)
        }
        var metadata: [String: String] = [:]
        for (key, entry) in entries {
            guard case .string(let text) = entry else {
                throw fail("metadata value '\(key)' is \(entry.kindName); only strings are allowed", metadataKey)
            }
            guard metadata.updateValue(text, forKey: key) == nil else {
                throw fail("metadata key '\(key)' appears twice", metadataKey)
            }
        }
        return metadata
    }

    private static func parseEntry(
        _ value: SafeTensorsJSON, name: String, dataLength: Int,
        fail: Failure
    ) throws -> (shape: [Int], begin: Int, end: Int) {
        guard case .object(let fields) = value else {
            throw fail("entry is \(value.kindName), expected an object with dtype, shape and data_offsets", name)
        }
        var dtype: String?
        var shape: [Int]?
        var offsets: [Int]?
        for (key, field) in fields {
            switch key {
            case "dtype":
                guard dtype == nil else { throw fail("'dtype' appears twice", name) }
                guard case .string(let text) = field else { throw fail("dtype is \(field.kindName), expected a string", name) }
                dtype = text
            case "shape":
                guard shape == nil else { throw fail("'shape' appears twice", name) }
                shape = try integers(field, what: "shape", name: name, fail: fail)
            case "data_offsets":
                guard offsets == nil else { throw fail("'data_offsets' appears twice", name) }
                offsets = try integers(field, what: "data_offsets", name: name, fail: fail)
            default:
                throw fail("unexpected key '\(key)' (expected dtype, shape, data_offsets)", name)
            }
        }
        guard let dtype else { throw fail("missing dtype", name) }
        guard dtype == "F32" else {
            throw fail("dtype '\(dtype)' is not supported (only F32); convert the tensor to float32", name)
        }
        guard let shape else { throw fail("missing shape", name) }
        guard let offsets else { throw fail("missing data_offsets", name) }
        guard offsets.count == 2 else { throw fail("data_offsets has \(offsets.count) numbers, expected 2", name) }
        let (begin, end) = (offsets[0], offsets[1])
        guard begin <= end else { throw fail("data_offsets [\(begin), \(end)] end before they begin", name) }
        guard end <= dataLength else {
            throw fail(
                "data_offsets [\(begin), \(end)] run past the data section (\(dataLength) bytes); the file is truncated or corrupt",
                name)
        }
        guard let count = elementCount(shape) else { throw fail("shape \(shape) is too large", name) }
        guard count * 4 == end - begin else {
            throw fail("shape \(shape) needs \(count * 4) bytes but data_offsets [\(begin), \(end)] hold \(end - begin)", name)
        }
        return (shape, begin, end)
    }

    /// A JSON array of non-negative integers that fit in Int.
    private static func integers(
        _ value: SafeTensorsJSON, what: String, name: String,
        fail: Failure
    ) throws -> [Int] {
        guard case .array(let elements) = value else {
            throw fail("\(what) is \(value.kindName), expected an array of integers", name)
        }
        return try elements.map { element in
            guard case .number(let text) = element, !text.isEmpty,
                text.utf8.allSatisfy({ (0x30...0x39).contains($0) })
            else {
                throw fail("\(what) must hold non-negative integers, found \(DisplayText.quoted(describe(element)))", name)
            }
            guard let number = Int(text) else { throw fail("\(what) value \(DisplayText.quoted(text)) is too large", name) }
            return number
        }
    }

    private static func describe(_ value: SafeTensorsJSON) -> String {
        switch value {
        case .number(let text): return text
        case .string(let text): return "\"\(text)\""
        default: return value.kindName
        }
    }

    /// The tensors must cover the data section exactly once: in offset order, each begins
    /// where the previous one ended, and the last ends at the end of the file. Overlaps
    /// would let two tensors alias bytes; gaps or trailing bytes would hide data.
    private static func checkTiling(
        _ spans: [(name: String, begin: Int, end: Int)], dataLength: Int,
        fail: Failure
    ) throws {
        let ordered = spans.sorted { ($0.begin, $0.end, $0.name) < ($1.begin, $1.end, $1.name) }
        var covered = 0
        var previous: String?
        for span in ordered {
            if span.begin < covered {
                throw fail("data_offsets [\(span.begin), \(span.end)] overlap tensor '\(previous ?? "")'", span.name)
            }
            if span.begin > covered {
                throw fail(
                    "bytes \(covered)..<\(span.begin) of the data section before this tensor belong to no tensor", span.name)
            }
            covered = span.end
            previous = span.name
        }
        guard covered == dataLength else {
            throw fail(
                "the data section has \(dataLength - covered) bytes after the last tensor that belong to no tensor", previous)
        }
    }
}
