import Foundation
import XCTest

@testable import Coordinator

final class SafeTensorsTests: XCTestCase {
    private let model = SafeTensors(
        tensors: [
            "encoder.weight": .init(shape: [2, 3], values: [1, -2, 3.5, 0, .leastNonzeroMagnitude, -0.0]),
            "encoder.bias": .init(shape: [3], values: [0.25, 1e-30, 3e30]),
            "scalar": .init(shape: [], values: [42]),
            "empty": .init(shape: [0, 4], values: []),
        ],
        metadata: ["window_size": "32", "note": "quote \" and \\ and\nnewline"])

    // MARK: - Writing

    func testRoundTripInMemory() throws {
        let bytes = try model.serialized()
        XCTAssertEqual(try SafeTensors.parse(bytes, source: "m"), model)
        let parsed = try SafeTensors.parse(bytes, source: "m")
        XCTAssertEqual(parsed.tensors["encoder.weight"]?.values[5].sign, .minus)
    }

    func testSerializationIsDeterministicAndAligned() throws {
        var reordered = SafeTensors()
        for name in model.tensors.keys.sorted().reversed() { reordered.tensors[name] = model.tensors[name] }
        for key in model.metadata.keys.sorted().reversed() { reordered.metadata[key] = model.metadata[key] }
        let bytes = try model.serialized()
        XCTAssertEqual(try reordered.serialized(), bytes)
        XCTAssertEqual(try model.serialized(), bytes)
        let headerLength = bytes[0..<8].enumerated().reduce(0) { $0 | Int($1.element) << (8 * $1.offset) }
        XCTAssertEqual((8 + headerLength) % 8, 0)
    }

    func testExactLayoutOfASmallFile() throws {
        let small = SafeTensors(
            tensors: ["b": .init(shape: [1], values: [2]), "a": .init(shape: [1, 1], values: [1])],
            metadata: ["k": "v"])
        let bytes = try small.serialized()
        let header =
            #"{"__metadata__":{"k":"v"},"a":{"dtype":"F32","shape":[1,1],"data_offsets":[0,4]},"b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}"#
        let padded = header + String(repeating: " ", count: (8 - header.utf8.count % 8) % 8)
        XCTAssertEqual(Array(bytes[0..<8]), [UInt8(padded.utf8.count), 0, 0, 0, 0, 0, 0, 0])
        XCTAssertEqual(String(decoding: bytes[8..<(8 + padded.utf8.count)], as: UTF8.self), padded)
        XCTAssertEqual(Array(bytes.suffix(8)), [0x00, 0x00, 0x80, 0x3F, 0x00, 0x00, 0x00, 0x40])  // 1.0f, 2.0f LE
    }

    func testWriteAndReadFile() throws {
        let directory = try DataTestDirectory()
        let path = directory.path + "/model.safetensors"
        try model.write(path: path)
        XCTAssertEqual(try SafeTensors.read(path: path), model)
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        XCTAssertEqual((attributes[.posixPermissions] as? NSNumber)?.intValue, 0o644)
        XCTAssertEqual(try directory.entries(), ["model.safetensors"])
    }

    func testInvalidModelsAreNotWritten() throws {
        let directory = try DataTestDirectory()
        let path = directory.path + "/bad.safetensors"
        let mismatched = SafeTensors(tensors: ["w": .init(shape: [2, 2], values: [1, 2, 3])])
        assertDataError(
            try mismatched.write(path: path), file: path, line: nil, field: "w",
            contains: ["shape [2, 2] does not match 3 values"])
        let reserved = SafeTensors(tensors: ["__metadata__": .init(shape: [1], values: [1])])
        assertDataError(
            try reserved.write(path: path), file: path, line: nil, field: "__metadata__",
            contains: ["cannot be named"])
        let negative = SafeTensors(tensors: ["n": .init(shape: [-1], values: [])])
        XCTAssertThrowsError(try negative.serialized())
        XCTAssertEqual(try directory.entries(), [])
    }

    // MARK: - Reading untrusted files

    /// A file with a hand-written header (padded) followed by `data`.
    private func file(_ header: String, data: [UInt8] = []) -> [UInt8] {
        var headerBytes = Array(header.utf8)
        while headerBytes.count % 8 != 0 { headerBytes.append(0x20) }
        return withUnsafeBytes(of: UInt64(headerBytes.count).littleEndian, Array.init) + headerBytes + data
    }

    private func entry(_ name: String, _ shape: [Int], _ begin: Int, _ end: Int, dtype: String = "F32") -> String {
        "\"\(name)\":{\"dtype\":\"\(dtype)\",\"shape\":\(shape),\"data_offsets\":[\(begin),\(end)]}"
    }

    @discardableResult
    private func assertRejected(
        _ bytes: [UInt8], tensor: String?, _ fragments: String..., maxHeaderBytes: Int = 16 << 20,
        line: UInt = #line
    ) -> DataError? {
        assertDataError(
            try SafeTensors.parse(bytes, source: "evil.safetensors", maxHeaderBytes: maxHeaderBytes),
            file: "evil.safetensors", line: nil, field: tensor, contains: fragments, sourceLine: line)
    }

    func testHandWrittenValidFileParses() throws {
        let bytes = file("{" + entry("a", [2], 0, 8) + "," + entry("b", [0], 8, 8) + "}", data: [UInt8](repeating: 0, count: 8))
        let parsed = try SafeTensors.parse(bytes, source: "ok")
        XCTAssertEqual(parsed.tensors["a"], .init(shape: [2], values: [0, 0]))
        XCTAssertEqual(parsed.tensors["b"], .init(shape: [0], values: []))
    }

    func testTruncatedFiles() throws {
        let bytes = try model.serialized()
        assertRejected(Array(bytes.dropLast()), tensor: "scalar", "run past the data section")
        assertRejected(Array(bytes.prefix(40)), tensor: nil, "runs past the end of the file")
        assertRejected(Array(bytes.prefix(5)), tensor: nil, "too short")
        assertRejected([], tensor: nil, "too short")
    }

    func testOversizedHeaderLength() {
        var bytes = file("{}")
        bytes.replaceSubrange(0..<8, with: withUnsafeBytes(of: UInt64(1 << 40).littleEndian, Array.init))
        assertRejected(bytes, tensor: nil, "exceeds the limit")
        bytes.replaceSubrange(0..<8, with: [UInt8](repeating: 0xFF, count: 8))
        assertRejected(bytes, tensor: nil, "exceeds the limit")
        assertRejected(
            file("{" + entry("a", [1], 0, 4) + "}", data: [0, 0, 0, 0]), tensor: nil, "exceeds the limit",
            maxHeaderBytes: 16)
    }

    func testOverlapGapAndTrailingBytes() {
        let twelve = [UInt8](repeating: 0, count: 12)
        assertRejected(
            file("{" + entry("a", [2], 0, 8) + "," + entry("b", [2], 4, 12) + "}", data: twelve),
            tensor: "b", "overlap tensor 'a'")
        assertRejected(
            file("{" + entry("a", [1], 0, 4) + "," + entry("b", [1], 8, 12) + "}", data: twelve),
            tensor: "b", "bytes 4..<8", "belong to no tensor")
        assertRejected(
            file("{" + entry("a", [1], 4, 8) + "}", data: [UInt8](repeating: 0, count: 8)),
            tensor: "a", "bytes 0..<4")
        assertRejected(file("{" + entry("a", [2], 0, 8) + "}", data: twelve), tensor: "a", "4 bytes after the last tensor")
        assertRejected(file("{}", data: [1]), tensor: nil, "1 bytes after the last tensor")
    }

    func testShapeAndOffsetChecks() {
        let eight = [UInt8](repeating: 0, count: 8)
        assertRejected(file("{" + entry("w", [3], 0, 8) + "}", data: eight), tensor: "w", "needs 12 bytes", "hold 8")
        assertRejected(file("{" + entry("w", [2], 8, 0) + "}", data: eight), tensor: "w", "end before they begin")
        assertRejected(
            file("{\"w\":{\"dtype\":\"F32\",\"shape\":[-2],\"data_offsets\":[0,8]}}", data: eight),
            tensor: "w", "non-negative integers", "-2")
        assertRejected(
            file("{\"w\":{\"dtype\":\"F32\",\"shape\":[2.0],\"data_offsets\":[0,8]}}", data: eight),
            tensor: "w", "non-negative integers")
        assertRejected(
            file("{\"w\":{\"dtype\":\"F32\",\"shape\":[\"2\"],\"data_offsets\":[0,8]}}", data: eight),
            tensor: "w", "non-negative integers")
        assertRejected(file("{" + entry("w", [1 << 62, 4], 0, 8) + "}", data: eight), tensor: "w", "too large")
        assertRejected(
            file("{\"w\":{\"dtype\":\"F32\",\"shape\":[99999999999999999999],\"data_offsets\":[0,8]}}", data: eight),
            tensor: "w", "too large")
        assertRejected(
            file("{\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8,8]}}", data: eight),
            tensor: "w", "expected 2")
        assertRejected(file("{\"w\":{\"dtype\":\"F32\",\"shape\":[2]}}", data: eight), tensor: "w", "missing data_offsets")
        assertRejected(file("{\"w\":{\"shape\":[2],\"data_offsets\":[0,8]}}", data: eight), tensor: "w", "missing dtype")
        assertRejected(
            file("{\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8],\"extra\":1}}", data: eight),
            tensor: "w", "unexpected key 'extra'")
        assertRejected(file("{\"w\":[1,2]}", data: eight), tensor: "w", "expected an object")
    }

    func testOnlyF32IsAccepted() {
        assertRejected(
            file("{" + entry("half", [2], 0, 4, dtype: "F16") + "}", data: [0, 0, 0, 0]),
            tensor: "half", "dtype 'F16' is not supported")
    }

    func testDuplicatesAndMetadata() {
        let four = [UInt8](repeating: 0, count: 4)
        assertRejected(
            file("{" + entry("w", [1], 0, 4) + "," + entry("w", [1], 0, 4) + "}", data: four),
            tensor: "w", "appears twice")
        assertRejected(file("{\"__metadata__\":{\"n\":1}}"), tensor: "__metadata__", "'n'", "only strings")
        assertRejected(file("{\"__metadata__\":{\"n\":\"a\",\"n\":\"b\"}}"), tensor: "__metadata__", "appears twice")
        assertRejected(file("{\"__metadata__\":[]}"), tensor: "__metadata__", "expected an object")
        assertRejected(file("{\"__metadata__\":{},\"__metadata__\":{}}"), tensor: "__metadata__", "appears twice")
    }

    func testMalformedHeaders() {
        assertRejected(file("{\"w\":"), tensor: nil, "not valid JSON")
        assertRejected(file("[]"), tensor: nil, "is an array, expected a JSON object")
        assertRejected(file("{} x"), tensor: nil, "not valid JSON")
        assertRejected(file(String(repeating: "[", count: 100_000)), tensor: nil, "nested too deeply")
        assertRejected(file("{\"a\\q\":{}}"), tensor: nil, "invalid escape")
        var invalidUTF8 = file("{\"ab\":{}}")
        invalidUTF8[10] = 0xFF
        assertRejected(invalidUTF8, tensor: nil, "not valid UTF-8")
        invalidUTF8[10] = 0xC0  // overlong encoding of '/'
        invalidUTF8[11] = 0xAF
        assertRejected(invalidUTF8, tensor: nil, "not valid UTF-8")
    }

    func testEscapedNamesAndUnicode() throws {
        let named = SafeTensors(
            tensors: ["layer \"1\"/w\u{1}é😀": .init(shape: [1], values: [1])],
            metadata: ["ключ": "значение\t"])
        XCTAssertEqual(try SafeTensors.parse(named.serialized(), source: "m"), named)
        let escaped = file("{\"__metadata__\":{\"k\":\"\\u00e9\\ud83d\\ude00\\/\"}}")
        XCTAssertEqual(try SafeTensors.parse(escaped, source: "m").metadata, ["k": "é😀/"])
    }

    func testReadRefusesLargeAndSpecialFiles() throws {
        let directory = try DataTestDirectory()
        let path = try directory.bytes("m.safetensors", try model.serialized())
        assertDataError(
            try SafeTensors.read(path: path, maxBytes: 10), file: path, line: nil, field: nil,
            contains: ["more than the limit of 10 bytes"])
        assertDataError(
            try SafeTensors.read(path: directory.path), file: directory.path, line: nil, field: nil,
            contains: ["not a regular file"])
        let missing = directory.path + "/none.safetensors"
        assertDataError(
            try SafeTensors.read(path: missing), file: missing, line: nil, field: nil,
            contains: ["No such file"])
        let broken = try directory.bytes("broken.safetensors", Array(try model.serialized().dropLast(4)))
        assertDataError(
            try SafeTensors.read(path: broken), file: broken, line: nil, field: "scalar",
            contains: ["run past"])
    }
}
