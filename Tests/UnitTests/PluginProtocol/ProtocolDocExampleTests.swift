import Foundation
import XCTest

@testable import PluginProtocol

/// The worked example of docs/PROTOCOL.md (section 10), byte for byte: if the
/// codec and the page disagree, one of them is wrong. Keep the two in step.
final class ProtocolDocExampleTests: XCTestCase {
    typealias Support = ProtocolTestSupport

    static let initializeRequest =
        #"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocol_version":1,"role":"encoder","transports":["binary","base64"]}}"#
    static let initializeResponse =
        #"{"jsonrpc":"2.0","id":1,"result":{"name":"tiny-linear","version":"0.1.0","role":"encoder","protocol":{"min":1,"max":1},"transport":"base64","parameters":{"learning_rate":{"type":"number","default":0.001,"minimum":0,"maximum":1,"description":"Step size"}},"debug_variables":["steps"]}}"#
    static let configureRequest =
        #"{"jsonrpc":"2.0","id":2,"method":"configure","params":{"input_shape":[4],"output_shape":[2],"seed":42,"parameters":{}}}"#
    static let configureResponse =
        #"{"jsonrpc":"2.0","id":2,"result":{"parameter_count":10,"parameters":{"learning_rate":0.001}}}"#
    static let forwardRequest =
        #"{"jsonrpc":"2.0","id":3,"method":"forward","params":{"input":{"dtype":"f32","shape":[1,4],"data":"AACAPwAAAEAAAAA/AACAvw=="},"training":false}}"#
    static let forwardResponse =
        #"{"jsonrpc":"2.0","id":3,"result":{"output":{"dtype":"f32","shape":[1,2],"data":"AACAPgAAwL8="}}}"#
    static let errorResponse = #"{"jsonrpc":"2.0","id":3,"error":{"code":-32000,"message":"not configured yet"}}"#
    static let logNotification = #"{"jsonrpc":"2.0","method":"log","params":{"level":"info","message":"built 1 layer"}}"#
    static let binaryBackward =
        #"{"jsonrpc":"2.0","id":5,"method":"backward","params":{"grad_output":{"dtype":"f32","shape":[1,2],"offset":0},"need_input_grad":false}}"#

    func testContentLengthsStatedOnThePage() {
        XCTAssertEqual(Self.initializeRequest.utf8.count, 128)
        XCTAssertEqual(Self.initializeResponse.utf8.count, 284)
        XCTAssertEqual(Self.configureRequest.utf8.count, 119)
        XCTAssertEqual(Self.configureResponse.utf8.count, 93)
        XCTAssertEqual(Self.forwardRequest.utf8.count, 143)
        XCTAssertEqual(Self.forwardResponse.utf8.count, 96)
        XCTAssertEqual(Self.errorResponse.utf8.count, 79)
        XCTAssertEqual(Self.logNotification.utf8.count, 84)
        XCTAssertEqual(Self.binaryBackward.utf8.count, 134)
    }

    func testFramesAsPrintedAreReadable() throws {
        let pipe = Support.Pipe()
        pipe.write("Content-Length: 128\r\n\r\n" + Self.initializeRequest)
        pipe.write(
            Array("Content-Length: 134\r\nAttachment-Length: 8\r\n\r\n\(Self.binaryBackward)".utf8) + [
                0x00, 0x00, 0x00, 0x3f, 0x00, 0x00, 0x80, 0xbe,
            ])
        pipe.closeWriter()
        let reader = FrameReader(fd: pipe.readFD, maxFrameBytes: 1 << 20)
        XCTAssertEqual(try reader.readFrame(), Support.frame(Self.initializeRequest))
        let binary = try XCTUnwrap(reader.readFrame())
        let backward = try MessageCodec(transport: .binary).decode(RPCRequest<BackwardParams>.self, from: binary).params
        XCTAssertEqual(backward.gradOutput, Tensor(shape: [1, 2], values: [0.5, -0.25]))
        XCTAssertFalse(backward.needInputGradient)
        XCTAssertNil(try reader.readFrame())
    }

    func testHandshakeDecodesAndValidates() throws {
        let codec = MessageCodec()
        let request = try codec.decode(RPCRequest<InitializeParams>.self, from: Support.frame(Self.initializeRequest))
        XCTAssertEqual(request.params, InitializeParams(role: .encoder, transports: [.binary, .base64]))
        XCTAssertEqual(try codec.decodeHead(Support.frame(Self.initializeRequest)).method, "initialize")

        let frame = Support.frame(Self.initializeResponse)
        XCTAssertTrue(try codec.decodeHead(frame).hasResult)
        let result = try codec.decode(RPCResult<InitializeResult>.self, from: frame).result
        XCTAssertNoThrow(try result.validate())
        XCTAssertEqual(result.name, "tiny-linear")
        XCTAssertEqual(result.transport, .base64)
        XCTAssertTrue(result.protocol.contains(PluginProtocolVersion.current))
        XCTAssertEqual(try result.parameters.resolve([:]), ["learning_rate": .number(0.001)])
    }

    func testConfigureDecodesAndValidates() throws {
        let codec = MessageCodec()
        let params = try codec.decode(RPCRequest<ConfigureParams>.self, from: Support.frame(Self.configureRequest)).params
        XCTAssertNoThrow(try params.validate())
        XCTAssertEqual(params, ConfigureParams(inputShape: [4], outputShape: [2], seed: 42, parameters: [:]))
        let result = try codec.decode(RPCResult<ConfigureResult>.self, from: Support.frame(Self.configureResponse)).result
        XCTAssertEqual(result, ConfigureResult(parameterCount: 10, parameters: ["learning_rate": .number(0.001)]))
    }

    func testForwardTensorsHoldTheValuesThePageStates() throws {
        let codec = MessageCodec()
        let params = try codec.decode(RPCRequest<ForwardParams>.self, from: Support.frame(Self.forwardRequest)).params
        XCTAssertEqual(params.input, Tensor(shape: [1, 4], values: [1.0, 2.0, 0.5, -1.0]))
        XCTAssertFalse(params.training)
        XCTAssertEqual(
            Support.littleEndianBytes(params.input.values),
            [0x00, 0x00, 0x80, 0x3f, 0x00, 0x00, 0x00, 0x40, 0x00, 0x00, 0x00, 0x3f, 0x00, 0x00, 0x80, 0xbf])
        let output = try codec.decode(RPCResult<ForwardResult>.self, from: Support.frame(Self.forwardResponse)).result.output
        XCTAssertEqual(output, Tensor(shape: [1, 2], values: [0.25, -1.5]))
        // The codec writes the same base64 the page shows.
        let encoded = try codec.encode(ForwardResult(output: output))
        XCTAssertEqual(try Support.jsonObject(encoded)["output"]?.objectValue?["data"], .string("AACAPgAAwL8="))
    }

    func testErrorAndLogExamples() throws {
        let codec = MessageCodec()
        let head = try codec.decodeHead(Support.frame(Self.errorResponse))
        XCTAssertEqual(head.error, RPCError.wrongState("not configured yet"))
        let log = try codec.decodeHead(Support.frame(Self.logNotification))
        XCTAssertNil(log.id)
        XCTAssertEqual(
            try codec.decode(RPCRequest<LogParams>.self, from: Support.frame(Self.logNotification)).params,
            LogParams(level: .info, message: "built 1 layer"))
    }

    func testShutdownExample() throws {
        let codec = MessageCodec()
        let request = Support.frame(#"{"jsonrpc":"2.0","id":6,"method":"shutdown","params":{}}"#)
        XCTAssertEqual(try codec.decodeHead(request).method, "shutdown")
        XCTAssertNoThrow(try codec.decode(RPCRequest<Empty>.self, from: request))
        XCTAssertEqual(
            try codec.decode(RPCResult<Empty>.self, from: Support.frame(#"{"jsonrpc":"2.0","id":6,"result":{}}"#)).id, .number(6))
    }
}
