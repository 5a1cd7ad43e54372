import Foundation
import Glibc
import TestSupport
import XCTest

@testable import PluginHost
@testable import PluginProtocol

/// The `shared_memory` transport's region and codecs, both ends in one process.
final class SharedMemoryTests: XCTestCase {
    private let slot = 4096
    private let batch = Tensor(rows: 4, cols: 8, values: (0..<32).map { Float($0) / 7 })

    private func region() throws -> SharedTensorRegion {
        try XCTUnwrap(SharedTensorRegion.forPlugin(slotBytes: slot), "memfd is available on every kernel this project supports")
    }

    func testTheRegionCannotBeResizedOrUnsealedByThePlugin() throws {
        let r = try region()
        // The plugin holds the same file: these are the calls it could make on it.
        let copy = dup(r.descriptor)
        defer { close(copy) }
        XCTAssertEqual(ftruncate(copy, 0), -1, "shrinking would make the coordinator's next read fault")
        XCTAssertEqual(errno, EPERM)
        XCTAssertEqual(ftruncate(copy, off_t(r.totalBytes * 2)), -1)
        XCTAssertEqual(fcntl(copy, 1033 /* F_ADD_SEALS */, 8 /* F_SEAL_WRITE */), -1, "no seal can be added or removed")
        XCTAssertNoThrow(try SharedTensorRegion.map(descriptor: dup(copy), slotBytes: slot))
    }

    func testAPluginRefusesAnUnsealedOrMisSizedFile() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let fd = open(dir.file("plain"), O_RDWR | O_CREAT, 0o600)
        XCTAssertEqual(ftruncate(fd, off_t(slot * 4)), 0)
        XCTAssertThrowsError(try SharedTensorRegion.map(descriptor: fd, slotBytes: slot)) { error in
            XCTAssertTrue("\(error)".contains("not sealed"), "\(error)")
        }
        close(fd)
        let r = try region()
        XCTAssertThrowsError(try SharedTensorRegion.map(descriptor: dup(r.descriptor), slotBytes: slot * 2)) { error in
            XCTAssertTrue("\(error)".contains("not \(slot * 8)"), "\(error)")
        }
    }

    func testTensorsCrossThroughTheRegionInAlternatingSlots() throws {
        let r = try region()
        var coordinator = MessageCodec(sharedMemory: r, side: .coordinator)
        var plugin = MessageCodec(sharedMemory: r, side: .plugin)
        var requestOffsets: [Int] = [], responseOffsets: [Int] = []
        for id in 1...3 {
            let request = try coordinator.encodeRequest(
                id: id, method: MethodName.forward, params: ForwardParams(input: batch, training: true))
            XCTAssertTrue(request.attachment.isEmpty, "the batch fits a slot: nothing in the pipe")
            guard case .forward(_, let p)? = plugin.decodeHotPathRequest(request) else { return XCTFail("not read") }
            XCTAssertEqual(p.input, batch)
            requestOffsets.append(try sharedOffset(request))
            let response = try plugin.encodeResult(id: .number(id), result: ForwardResult(output: batch))
            XCTAssertEqual(try coordinator.decodeIncoming(response, resultType: ForwardResult.self).result?.output, batch)
            responseOffsets.append(try sharedOffset(response))
        }
        XCTAssertEqual(requestOffsets, [0, slot, 0], "requests alternate between the coordinator's two slots")
        XCTAssertEqual(responseOffsets, [2 * slot, 3 * slot, 2 * slot], "responses between the plugin's two")
    }

    func testWhatDoesNotFitASlotTravelsInTheAttachment() throws {
        let r = try region()
        var coordinator = MessageCodec(sharedMemory: r, side: .coordinator)
        let plugin = MessageCodec(sharedMemory: r, side: .plugin)
        let big = Tensor(rows: 2, cols: slot / 4, values: Array(repeating: 0.25, count: slot / 2))
        let request = try coordinator.encodeRequest(
            id: 1, method: MethodName.forward, params: ForwardParams(input: big, training: false))
        XCTAssertEqual(request.attachment.count, slot * 2)
        guard case .forward(_, let p)? = plugin.decodeHotPathRequest(request) else { return XCTFail("not read") }
        XCTAssertEqual(p.input, big)
    }

    /// A plugin pointing the coordinator at memory outside its own slots is refused by name.
    func testSharedOffsetsOutsideThePeersSlotsAreRefused() throws {
        let r = try region()
        let coordinator = MessageCodec(sharedMemory: r, side: .coordinator)
        for offset in [0, slot, 2 * slot - 4, 4 * slot - 4, 4 * slot, -4, 2 * slot + 2, Int.max - 3] {
            let json = #"{"jsonrpc":"2.0","id":1,"result":{"output":{"dtype":"f32","shape":[1,2],"shared_offset":\#(offset)}}}"#
            let incoming = try coordinator.decodeIncoming(Frame(json: Array(json.utf8)), resultType: ForwardResult.self)
            XCTAssertNil(incoming.result, "offset \(offset)")
            XCTAssertTrue(
                incoming.resultProblem?.contains("outside the peer's slots") ?? false, "\(incoming.resultProblem ?? "")")
        }
    }

    func testNonFiniteValuesInTheRegionAreRefusedAfterTheyAreCopied() throws {
        let r = try region()
        var plugin = MessageCodec(sharedMemory: r, side: .plugin)
        let coordinator = MessageCodec(sharedMemory: r, side: .coordinator)
        let response = try plugin.encodeResult(id: .number(1), result: ForwardResult(output: batch))
        let offset = try sharedOffset(response)
        r.writableSlot(of: .plugin, parity: 0).bytes.storeBytes(
            of: Float.nan, toByteOffset: offset - 2 * slot + 8, as: Float.self)
        let incoming = try coordinator.decodeIncoming(response, resultType: ForwardResult.self)
        XCTAssertNil(incoming.result)
        XCTAssertTrue(incoming.resultProblem?.contains("NaN") ?? false, "\(incoming.resultProblem ?? "")")
    }

    private func sharedOffset(_ frame: Frame) throws -> Int {
        let text = String(decoding: frame.json, as: UTF8.self)
        let match = try XCTUnwrap(text.range(of: #""shared_offset":[0-9]+"#, options: .regularExpression), text)
        return try XCTUnwrap(Int(text[match].split(separator: ":")[1]))
    }
}
