import Foundation
import XCTest

@testable import PluginProtocol

/// Tensors on the wire: both transports, byte order, and every rejection rule.
final class TensorCodecTests: XCTestCase {
    typealias Support = ProtocolTestSupport

    private let shapes: [[Int]] = [[1], [7], [1, 5], [3, 4], [2, 3, 4], [1, 2, 3, 2], [1, 1, 1, 1], [4, 1, 1, 3]]

    /// Deterministic values including the awkward finite ones.
    private func values(_ count: Int) -> [Float] {
        let special: [Float] = [
            0, -0.0, 1, -1, .greatestFiniteMagnitude, -.greatestFiniteMagnitude,
            .leastNonzeroMagnitude, .leastNormalMagnitude, 0.1, -3.25e-20, 65504, 1e38,
        ]
        return (0..<count).map { i in i < special.count ? special[i] : Float(i) * 0.37 - 11 }
    }

    private func request(_ tensor: Tensor) -> RPCRequest<ForwardParams> {
        RPCRequest(id: .number(3), method: MethodName.forward, params: ForwardParams(input: tensor, training: true))
    }

    /// Decodes a forward request whose `input` member is `tensorJSON`.
    private func decodeInput(_ tensorJSON: String, transport: TensorTransport = .base64, attachment: [UInt8] = []) throws
        -> Tensor
    {
        let json = #"{"jsonrpc":"2.0","id":1,"method":"forward","params":{"training":false,"input":"# + tensorJSON + "}}"
        let frame = Support.frame(json, attachment: attachment)
        return try MessageCodec(transport: transport).decode(RPCRequest<ForwardParams>.self, from: frame).params.input
    }

    /// Asserts the tensor is refused with -32602, naming `params.input` and `mention`.
    private func assertRejected(
        _ tensorJSON: String, transport: TensorTransport = .base64, attachment: [UInt8] = [],
        mention: String, file: StaticString = #filePath, line: UInt = #line
    ) {
        Support.assertRPCError(
            RPCErrorCode.invalidParams, mentions: ["params.input", mention],
            {
                _ = try self.decodeInput(tensorJSON, transport: transport, attachment: attachment)
            }, file: file, line: line)
    }

    private func bitPatterns(_ v: [Float]) -> [UInt32] { v.map(\.bitPattern) }

    // MARK: - Round trips

    func testBase64RoundTripsBitExactlyForRanks1To4() throws {
        let codec = MessageCodec(transport: .base64)
        for shape in shapes {
            let t = Tensor(shape: shape, values: values(Tensor.elementCount(shape)!))
            let frame = try codec.encode(request(t))
            XCTAssertTrue(frame.attachment.isEmpty, "base64 frames carry no attachment")
            let input = try Support.jsonObject(frame)["params"]?.objectValue?["input"]?.objectValue
            XCTAssertEqual(input?["dtype"], .string("f32"))
            XCTAssertEqual(input?["data"], .string(Support.base64(t.values)), "\(shape)")
            XCTAssertNil(input?["offset"])
            XCTAssertNoThrow(try codec.decodeHead(frame))
            let back = try codec.decode(RPCRequest<ForwardParams>.self, from: frame).params.input
            XCTAssertEqual(back.shape, shape)
            XCTAssertEqual(bitPatterns(back.values), bitPatterns(t.values), "\(shape)")
        }
    }

    func testBinaryRoundTripsBitExactlyForRanks1To4() throws {
        let codec = MessageCodec(transport: .binary)
        for shape in shapes {
            let t = Tensor(shape: shape, values: values(Tensor.elementCount(shape)!))
            let frame = try codec.encode(request(t))
            XCTAssertEqual(frame.attachment, Support.littleEndianBytes(t.values), "\(shape)")
            let input = try Support.jsonObject(frame)["params"]?.objectValue?["input"]?.objectValue
            XCTAssertEqual(input?["offset"], .number(0))
            XCTAssertNil(input?["data"])
            XCTAssertNoThrow(try codec.decodeHead(frame))
            let back = try codec.decode(RPCRequest<ForwardParams>.self, from: frame).params.input
            XCTAssertEqual(back.shape, shape)
            XCTAssertEqual(bitPatterns(back.values), bitPatterns(t.values), "\(shape)")
        }
    }

    func testWireFormatIsLittleEndianFloat32() throws {
        // 1.0 = 0x3F800000, -2.0 = 0xC0000000, stored low byte first.
        let t = Tensor(shape: [1, 2], values: [1, -2])
        let b64 = try MessageCodec(transport: .base64).encode(ForwardResult(output: t))
        XCTAssertEqual(try Support.jsonObject(b64)["output"]?.objectValue?["data"], .string("AACAPwAAAMA="))
        let bin = try MessageCodec(transport: .binary).encode(ForwardResult(output: t))
        XCTAssertEqual(bin.attachment, [0x00, 0x00, 0x80, 0x3F, 0x00, 0x00, 0x00, 0xC0])
        XCTAssertEqual(try decodeInput(#"{"dtype":"f32","shape":[1,2],"data":"AACAPwAAAMA="}"#).values, [1, -2])
    }

    func testBinaryFrameWithSeveralTensorsGivesEachItsOwnOffset() throws {
        let state = ModelState(tensors: [
            "a.weight": Tensor(shape: [2, 3], values: [1, 2, 3, 4, 5, 6]),
            "a.bias": Tensor(shape: [1, 3], values: [-1, -2, -3]),
            "b.weight": Tensor(shape: [3, 1], values: [0.5, 0.25, 0.125]),
        ])
        let codec = MessageCodec(transport: .binary)
        let frame = try codec.encode(RPCResult(id: .number(9), result: state))
        XCTAssertEqual(frame.attachment.count, 4 * 12)
        let tensors = try XCTUnwrap(Support.jsonObject(frame)["result"]?.objectValue?["tensors"]?.objectValue)
        let offsets = Set(tensors.values.compactMap { $0.objectValue?["offset"]?.intValue })
        XCTAssertEqual(offsets.count, 3)
        XCTAssertTrue(offsets.allSatisfy { $0 % 4 == 0 && $0 < 48 })
        XCTAssertEqual(try codec.decode(RPCResult<ModelState>.self, from: frame).result, state)
    }

    func testBinaryTransportStillAcceptsBase64Data() throws {
        let t = try decodeInput(
            #"{"dtype":"f32","shape":[2],"data":"AACAPwAAAMA="}"#, transport: .binary, attachment: [1, 2, 3, 4])
        XCTAssertEqual(t.values, [1, -2])
    }

    func testOffsetsMayPointAnywhereAlignedInsideTheAttachment() throws {
        let attachment = Support.littleEndianBytes([9, 9, 1.5, -4, 9])
        let t = try decodeInput(#"{"dtype":"f32","shape":[1,2],"offset":8}"#, transport: .binary, attachment: attachment)
        XCTAssertEqual(t.values, [1.5, -4])
        let last = try decodeInput(#"{"dtype":"f32","shape":[1],"offset":16}"#, transport: .binary, attachment: attachment)
        XCTAssertEqual(last.values, [9])
    }

    // MARK: - Rejections

    func testDtypeOtherThanF32IsRejected() {
        for dtype in ["f64", "F32", "float32", "f16", "i32", ""] {
            assertRejected(#"{"dtype":"\#(dtype)","shape":[1],"data":"AACAPw=="}"#, mention: "dtype")
        }
        assertRejected(#"{"shape":[1],"data":"AACAPw=="}"#, mention: "dtype")
    }

    func testShapeAndByteCountMismatchIsRejected() {
        // 3 values for a shape of 4, and 5 for a shape of 4.
        assertRejected(#"{"dtype":"f32","shape":[2,2],"data":"\#(Support.base64([1, 2, 3]))"}"#, mention: "16")
        assertRejected(#"{"dtype":"f32","shape":[2,2],"data":"\#(Support.base64([1, 2, 3, 4, 5]))"}"#, mention: "16")
        assertRejected(#"{"dtype":"f32","shape":[1],"data":""}"#, mention: "4")
        // Binary: the attachment is shorter than the shape needs.
        assertRejected(
            #"{"dtype":"f32","shape":[3],"offset":0}"#, transport: .binary,
            attachment: Support.littleEndianBytes([1, 2]), mention: "attachment")
    }

    func testRankZeroAndRankFiveAreRejected() {
        assertRejected(#"{"dtype":"f32","shape":[],"data":""}"#, mention: "rank")
        assertRejected(#"{"dtype":"f32","shape":[1,1,1,1,1],"data":"AACAPw=="}"#, mention: "rank")
        assertRejected(
            #"{"dtype":"f32","shape":[1,1,1,1,1],"offset":0}"#, transport: .binary,
            attachment: Support.littleEndianBytes([1]), mention: "rank")
    }

    func testNegativeDimensionsAreRejected() {
        assertRejected(#"{"dtype":"f32","shape":[-1,4],"data":""}"#, mention: "shape")
        assertRejected(#"{"dtype":"f32","shape":[-2,-2],"data":"\#(Support.base64([1, 2, 3, 4]))"}"#, mention: "shape")
        XCTAssertNil(Tensor.elementCount([-2, -2]), "negative dimensions must not multiply to a positive count")
    }

    func testOverflowingShapesAreRejected() {
        XCTAssertNil(Tensor.elementCount([Int.max, 2]))
        XCTAssertNil(Tensor.elementCount([3_037_000_500, 3_037_000_500]))
        XCTAssertEqual(Tensor.elementCount([2, 3, 4]), 24)
        XCTAssertEqual(Tensor.elementCount([0, 5]), 0)
        assertRejected(#"{"dtype":"f32","shape":[\#(Int.max),2],"data":""}"#, mention: "shape")
        assertRejected(#"{"dtype":"f32","shape":[3037000500,3037000500],"data":""}"#, mention: "shape")
        // Fits in Int but its byte count (count * 4) would not.
        assertRejected(#"{"dtype":"f32","shape":[2147483648,2147483648],"data":""}"#, mention: "shape")
    }

    func testNaNAndInfinityAreRejectedUnderBase64() {
        for bad: Float in [.nan, .signalingNaN, .infinity, -.infinity] {
            assertRejected(#"{"dtype":"f32","shape":[3],"data":"\#(Support.base64([1, bad, 2]))"}"#, mention: "value 1")
        }
    }

    func testNaNAndInfinityAreRejectedUnderBinary() {
        for bad: Float in [.nan, .infinity, -.infinity] {
            assertRejected(
                #"{"dtype":"f32","shape":[2],"offset":0}"#, transport: .binary,
                attachment: Support.littleEndianBytes([bad, 1]), mention: "value 0")
        }
    }

    /// The finiteness scan looks at every position, and only non-finite values trip it.
    func testTheNonFiniteScanFindsAnyPositionAndPassesEveryFiniteValue() {
        let finite: [Float] = [
            0, -0, 1, -1, .greatestFiniteMagnitude, -.greatestFiniteMagnitude, .leastNonzeroMagnitude,
            .leastNormalMagnitude, 1e-40,
        ]
        XCTAssertFalse(Tensor.hasNonFinite(finite))
        XCTAssertFalse(Tensor.hasNonFinite([]))
        for bad: Float in [.nan, .signalingNaN, .infinity, -.infinity, -.nan] {
            for position in [0, 7, 64, 1000] {
                var values = [Float](repeating: 0.5, count: 1001)
                values[position] = bad
                XCTAssertTrue(Tensor.hasNonFinite(values), "\(bad) at \(position)")
            }
        }
    }

    func testMisalignedOffsetIsRejected() {
        let attachment = Support.littleEndianBytes([1, 2, 3])
        for offset in [1, 2, 3, 6] {
            assertRejected(
                #"{"dtype":"f32","shape":[1],"offset":\#(offset)}"#, transport: .binary, attachment: attachment,
                mention: "misaligned")
        }
    }

    func testOutOfRangeOffsetsAreRejected() {
        let attachment = Support.littleEndianBytes([1, 2])
        for offset in [-4, 4, 8, 12, 4096] {
            assertRejected(
                #"{"dtype":"f32","shape":[2],"offset":\#(offset)}"#, transport: .binary, attachment: attachment,
                mention: "outside")
        }
    }

    func testOffsetUnderBase64IsRejected() {
        // No attachment exists under base64, so an offset cannot refer to anything.
        assertRejected(#"{"dtype":"f32","shape":[1],"offset":0}"#, transport: .base64, mention: "no attachment")
        assertRejected(#"{"dtype":"f32","shape":[1],"offset":0}"#, transport: .binary, mention: "no attachment")
    }

    func testDataAndOffsetTogetherAreRejected() {
        assertRejected(
            #"{"dtype":"f32","shape":[1],"data":"AACAPw==","offset":0}"#, transport: .binary,
            attachment: Support.littleEndianBytes([1]), mention: "more than one of data, offset")
        assertRejected(
            #"{"dtype":"f32","shape":[1],"shared_offset":0,"offset":0}"#, transport: .binary,
            attachment: Support.littleEndianBytes([1]), mention: "more than one of data, offset and shared_offset")
        assertRejected(
            #"{"dtype":"f32","shape":[1],"shared_offset":0}"#, transport: .binary,
            attachment: Support.littleEndianBytes([1]), mention: "transport is not shared_memory")
    }

    func testNeitherDataNorOffsetIsRejected() {
        assertRejected(#"{"dtype":"f32","shape":[1]}"#, mention: "needs")
    }

    func testInvalidBase64IsRejected() {
        for text in ["!!!!!!!!", "AACAPw", "AACA Pw==", "AACA\\nPw==", "AAC-Pw==", "AACAPw=", "AACAPw==AACAPw=="] {
            assertRejected(#"{"dtype":"f32","shape":[1],"data":"\#(text)"}"#, mention: "base64")
        }
    }

    func testPaddingOnlyBase64IsRejected() {
        // Foundation decodes "====" as one byte; the byte count check still refuses it.
        assertRejected(#"{"dtype":"f32","shape":[1],"data":"===="}"#, mention: "needs 4 bytes")
    }

    func testOverlongBase64IsRejectedBeforeDecoding() {
        let long = String(repeating: "A", count: 4000)
        assertRejected(#"{"dtype":"f32","shape":[1],"data":"\#(long)"}"#, mention: "base64")
    }

    func testTensorErrorsInResultsNameTheirPath() {
        let json =
            #"{"jsonrpc":"2.0","id":4,"result":{"output":{"dtype":"f32","shape":[1],"data":"\#(Support.base64([.nan]))"}}}"#
        Support.assertRPCError(RPCErrorCode.invalidParams, mentions: ["result.output", "NaN"]) {
            _ = try MessageCodec().decode(RPCResult<ForwardResult>.self, from: Support.frame(json))
        }
        let state = #"{"jsonrpc":"2.0","id":5,"result":{"tensors":{"w":{"dtype":"f64","shape":[1],"data":"AACAPw=="}}}}"#
        Support.assertRPCError(RPCErrorCode.invalidParams, mentions: ["result.tensors.w", "dtype"]) {
            _ = try MessageCodec().decode(RPCResult<ModelState>.self, from: Support.frame(state))
        }
    }
}
