import XCTest

@testable import PluginProtocol

/// Tensors crafted to crash or exhaust the receiver: each must be refused, cheaply.
final class HostileTensorTests: XCTestCase {
    private func decode(_ tensorJSON: String, transport: TensorTransport, attachment: [UInt8] = []) throws -> Tensor {
        let json = #"{"jsonrpc":"2.0","id":1,"method":"forward","params":{"input":"# + tensorJSON + #","training":false}}"#
        return try MessageCodec(transport: transport).decode(
            RPCRequest<ForwardParams>.self,
            from: Frame(json: Array(json.utf8), attachment: attachment)
        ).params.input
    }

    func testOffsetNearIntMaxIsRefusedWithoutOverflowing() {
        XCTAssertThrowsError(
            try decode(
                #"{"dtype":"f32","shape":[1],"offset":9223372036854775804}"#, transport: .binary,
                attachment: [0, 0, 0, 0]))
    }

    func testHugeShapeWithoutDataIsRefusedBeforeAnyAllocation() {
        // 10^14 elements would need 400 TB: refusing must not try to allocate them.
        XCTAssertThrowsError(try decode(#"{"dtype":"f32","shape":[1000000,1000000,100],"data":""}"#, transport: .base64))
        XCTAssertThrowsError(
            try decode(
                #"{"dtype":"f32","shape":[1000000,1000000,100],"offset":0}"#, transport: .binary,
                attachment: [0, 0, 0, 0]))
    }

    /// Found by Fuzz/tensor.swift: a shape of Int.max / 4 elements passes the element-count
    /// check, and the base64 length it implies overflowed, trapping the receiver.
    func testShapeWhoseBase64LengthOverflowsIsRefused() {
        XCTAssertThrowsError(try decode(#"{"dtype":"f32","shape":[2305843009213693951],"data":""}"#, transport: .base64)) {
            error in
            guard let error = error as? RPCError else { return XCTFail("\(error)") }
            XCTAssertEqual(error.code, RPCErrorCode.invalidParams)
            XCTAssertTrue(error.message.contains("params.input: tensor: data is not base64"), error.message)
        }
    }

    func testEmptyTensorRoundTripsUnderBinaryTransport() throws {
        let frame = try MessageCodec(transport: .binary).encode(
            RPCRequest(
                id: .number(1), method: "forward",
                params: ForwardParams(input: Tensor(shape: [0, 3], values: []), training: false)))
        let back = try MessageCodec(transport: .binary).decode(RPCRequest<ForwardParams>.self, from: frame).params.input
        XCTAssertEqual(back.shape, [0, 3])
    }

    func testRepeatedAttachmentLengthAndOverlongHeaderAreRefused() throws {
        for header in [
            "Content-Length: 2\r\nAttachment-Length: 0\r\nAttachment-Length: 0\r\n\r\n{}",
            "Content-Type: " + String(repeating: "a", count: 1500) + "\r\nContent-Length: 2\r\n\r\n{}",
        ] {
            var fds: [Int32] = [0, 0]
            XCTAssertEqual(pipe(&fds), 0)
            let bytes = Array(header.utf8)
            XCTAssertEqual(bytes.withUnsafeBytes { write(fds[1], $0.baseAddress!, $0.count) }, bytes.count)
            close(fds[1])
            XCTAssertThrowsError(try FrameReader(fd: fds[0], maxFrameBytes: 1 << 20).readFrame()) { error in
                guard case FramingError.badHeader? = error as? FramingError else { return XCTFail("\(error)") }
            }
            close(fds[0])
        }
    }
}
