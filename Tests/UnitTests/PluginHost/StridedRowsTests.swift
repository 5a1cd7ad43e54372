import Foundation
import XCTest

@testable import PluginHost
@testable import PluginProtocol

/// Overlapping rows (`row_stride`): a series' windows cross as the series under every transport,
/// a plugin reads exactly the dense windows, and nothing else may use the form.
final class StridedRowsTests: XCTestCase {
    /// 6 windows of 4 over a series of 9 values.
    private let windows = StridedRows(shape: [6, 4], rowStride: 1, values: (0..<9).map { Float($0) * 0.5 - 1 })

    func testTheDenseFormHoldsEveryWindow() {
        let dense = windows.dense()
        XCTAssertEqual(dense.shape, [6, 4])
        for r in 0..<6 {
            XCTAssertEqual(Array(dense.values[(r * 4)..<(r * 4 + 4)]), Array(windows.values[r..<(r + 4)]), "window \(r)")
        }
        let rows = StridedRows(dense)
        XCTAssertTrue(rows.isDense)
        XCTAssertEqual(rows.dense(), dense)
    }

    /// Under each transport, the request carries only the series, and a plugin reads the dense
    /// windows, on the direct path and through Codable alike.
    func testAPluginReadsTheWindowsUnderEveryTransport() throws {
        let region = try XCTUnwrap(SharedTensorRegion.forPlugin(slotBytes: 4096))
        let pairs: [(MessageCodec, MessageCodec)] = [
            (MessageCodec(transport: .base64), MessageCodec(transport: .base64)),
            (MessageCodec(transport: .binary), MessageCodec(transport: .binary)),
            (MessageCodec(sharedMemory: region, side: .coordinator), MessageCodec(sharedMemory: region, side: .plugin)),
        ]
        for (sender, receiver) in pairs {
            var coordinator = sender
            let frame = try coordinator.encodeRequest(
                id: 7, method: MethodName.forward, params: StridedForwardParams(input: windows, training: false))
            let json = String(decoding: frame.json, as: UTF8.self)
            XCTAssertTrue(json.contains(#""row_stride":1"#), json)
            XCTAssertLessThanOrEqual(frame.attachment.count, 9 * 4, "the series, not the windows, crosses")
            let expected = ForwardParams(input: windows.dense(), training: false)
            XCTAssertEqual(
                try receiver.decode(RPCRequest<ForwardParams>.self, from: frame).params, expected, "\(sender.transport)")
            if sender.transport != .base64 {
                guard case .forward(let id, let p)? = receiver.decodeHotPathRequest(frame) else {
                    return XCTFail("not read directly under \(sender.transport)")
                }
                XCTAssertEqual(id, .number(7))
                XCTAssertEqual(p, expected)
            }
        }
    }

    /// Strides that do not describe overlapping rows of the shape, and non-finite stored values,
    /// are refused by name on both paths (the direct reader declines, Codable words why).
    func testMalformedStridesAreRefused() {
        let binary = MessageCodec(transport: .binary)
        let series: [Float] = (0..<9).map(Float.init)
        let cases: [(shape: String, stride: Int, values: [Float], mention: String)] = [
            ("[6,4]", 0, series, "row_stride 0 does not fit"),
            ("[6,4]", 5, series, "row_stride 5 does not fit"),  // gaps between rows: not this form
            ("[6,4]", -1, series, "row_stride -1 does not fit"),
            ("[9]", 1, series, "row_stride 1 does not fit"),  // rank 1 has no rows to overlap
            ("[0,4]", 1, [], "row_stride 1 does not fit"),
            ("[134217728,2]", 1, series, "row_stride 1 does not fit"),  // 2^28 values once dense: over the bound
            ("[6,4]", 1, Array(series.dropLast()), "36 bytes at offset 0 are outside"),  // the series is one value short
            ("[6,4]", 1, [0, 1, 2, 3, .nan, 5, 6, 7, 8], "NaN"),
        ]
        for c in cases {
            let json =
                #"{"jsonrpc":"2.0","id":1,"method":"forward","params":{"input":{"dtype":"f32","shape":\#(c.shape),"row_stride":\#(c.stride),"offset":0},"training":false}}"#
            let frame = Frame(json: Array(json.utf8), attachment: c.values.withUnsafeBytes { Array($0) })
            XCTAssertNil(binary.decodeHotPathRequest(frame), json)
            XCTAssertThrowsError(try binary.decode(RPCRequest<ForwardParams>.self, from: frame), json) { error in
                XCTAssertTrue("\(error)".contains(c.mention), "\(json): \(error)")
            }
        }
    }

    /// The form is for a plugin's forward input only: the coordinator refuses it in any answer,
    /// and a plugin in any other request.
    func testOverlappingRowsAreRefusedOutsideAForwardInput() throws {
        let binary = MessageCodec(transport: .binary)
        let tensor = #"{"dtype":"f32","shape":[6,4],"row_stride":1,"offset":0}"#
        let attachment = windows.values.withUnsafeBytes { Array($0) }
        let result = #"{"jsonrpc":"2.0","id":1,"result":{"output":\#(tensor)}}"#
        let incoming = try binary.decodeIncoming(
            Frame(json: Array(result.utf8), attachment: attachment), resultType: ForwardResult.self)
        XCTAssertNil(incoming.result)
        XCTAssertTrue(incoming.resultProblem?.contains("row_stride is allowed only") ?? false, incoming.resultProblem ?? "")
        let backward =
            #"{"jsonrpc":"2.0","id":1,"method":"backward","params":{"grad_output":\#(tensor),"need_input_grad":false}}"#
        let frame = Frame(json: Array(backward.utf8), attachment: attachment)
        XCTAssertNil(binary.decodeHotPathRequest(frame))
        XCTAssertThrowsError(try binary.decode(RPCRequest<BackwardParams>.self, from: frame)) { error in
            XCTAssertTrue("\(error)".contains("row_stride is allowed only"), "\(error)")
        }
    }
}
