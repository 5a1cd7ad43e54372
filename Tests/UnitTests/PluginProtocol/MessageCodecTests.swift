import Foundation
import XCTest

@testable import PluginProtocol

/// JSON-RPC envelopes: `RPCHead` routing and validation, error codes of
/// `MessageCodec`, typed decode errors that name the offending field.
final class MessageCodecTests: XCTestCase {
    typealias Support = ProtocolTestSupport

    private func head(_ json: String, transport: TensorTransport = .base64, attachment: [UInt8] = []) throws -> RPCHead {
        try MessageCodec(transport: transport).decodeHead(Support.frame(json, attachment: attachment))
    }

    private func assertHeadError(
        _ code: Int, _ json: String, transport: TensorTransport = .base64, attachment: [UInt8] = [],
        file: StaticString = #filePath, line: UInt = #line
    ) {
        Support.assertRPCError(
            code, { _ = try self.head(json, transport: transport, attachment: attachment) }, file: file, line: line)
    }

    // MARK: - Heads that route

    func testRequestHead() throws {
        let h = try head(#"{"jsonrpc":"2.0","id":7,"method":"forward","params":{}}"#)
        XCTAssertEqual(h.id, .number(7))
        XCTAssertEqual(h.method, "forward")
        XCTAssertNil(h.error)
        XCTAssertFalse(h.hasResult)
    }

    func testNotificationHeadHasNoID() throws {
        let h = try head(#"{"jsonrpc":"2.0","method":"log","params":{"level":"info","message":"hi"}}"#)
        XCTAssertNil(h.id)
        XCTAssertEqual(h.method, "log")
    }

    func testResultHead() throws {
        let h = try head(#"{"jsonrpc":"2.0","id":2,"result":{}}"#)
        XCTAssertTrue(h.hasResult)
        XCTAssertNil(h.method)
        XCTAssertNil(h.error)
        let null = try head(#"{"jsonrpc":"2.0","id":2,"result":null}"#)
        XCTAssertTrue(null.hasResult, "a null result is still a result")
    }

    func testErrorHead() throws {
        let h = try head(#"{"jsonrpc":"2.0","id":3,"error":{"code":-32001,"message":"no fit","data":[1]}}"#)
        XCTAssertEqual(h.error, RPCError(code: RPCErrorCode.stateMismatch, message: "no fit"))
        XCTAssertFalse(h.hasResult)
        let nullID = try head(#"{"jsonrpc":"2.0","id":null,"error":{"code":-32700,"message":"x"}}"#)
        XCTAssertNil(nullID.id)
    }

    func testStringIDsAreAcceptedUpTo128Bytes() throws {
        XCTAssertEqual(try head(#"{"jsonrpc":"2.0","id":"abc","method":"step","params":{}}"#).id, .string("abc"))
        let ok = String(repeating: "i", count: 128)
        XCTAssertEqual(try head(#"{"jsonrpc":"2.0","id":"\#(ok)","method":"step","params":{}}"#).id, .string(ok))
        let long = String(repeating: "i", count: 129)
        assertHeadError(RPCErrorCode.invalidRequest, #"{"jsonrpc":"2.0","id":"\#(long)","method":"step","params":{}}"#)
        assertHeadError(RPCErrorCode.invalidRequest, #"{"jsonrpc":"2.0","id":1.5,"method":"step","params":{}}"#)
        assertHeadError(RPCErrorCode.invalidRequest, #"{"jsonrpc":"2.0","id":{"a":1},"method":"step","params":{}}"#)
        XCTAssertEqual(RPCID.string("a\"b").description, #""a\"b""#)
        XCTAssertEqual(RPCID.number(-4).description, "-4")
    }

    func testAttachmentIsAllowedUnderBinary() throws {
        let h = try head(#"{"jsonrpc":"2.0","id":1,"result":{}}"#, transport: .binary, attachment: [1, 2, 3, 4])
        XCTAssertTrue(h.hasResult)
    }

    // MARK: - Parse errors (-32700)

    func testInvalidJSONIsAParseError() {
        for json in [#"{"jsonrpc":"2.0","id":1,"#, "", "not json", #"{"a":1}}"#, #"{'a':1}"#, "{\"a\":NaN}"] {
            assertHeadError(RPCErrorCode.parseError, json)
        }
        Support.assertRPCError(RPCErrorCode.parseError) {
            _ = try MessageCodec().decodeHead(Frame(json: [0x7B, 0xFF, 0xFE, 0x7D]))  // not UTF-8
        }
    }

    // MARK: - Invalid requests (-32600)

    func testWrongOrMissingJSONRPCVersionIsInvalid() {
        assertHeadError(RPCErrorCode.invalidRequest, #"{"jsonrpc":"1.0","id":1,"method":"step","params":{}}"#)
        assertHeadError(RPCErrorCode.invalidRequest, #"{"jsonrpc":"2","id":1,"method":"step","params":{}}"#)
        assertHeadError(RPCErrorCode.invalidRequest, #"{"jsonrpc":2.0,"id":1,"method":"step","params":{}}"#)
        assertHeadError(RPCErrorCode.invalidRequest, #"{"id":1,"method":"step","params":{}}"#)
    }

    func testJSONThatIsNotAnObjectIsInvalid() {
        // Batches are not supported.
        assertHeadError(RPCErrorCode.invalidRequest, #"[{"jsonrpc":"2.0","id":1,"method":"step","params":{}}]"#)
        assertHeadError(RPCErrorCode.invalidRequest, #""hello""#)
        assertHeadError(RPCErrorCode.invalidRequest, "42")
        assertHeadError(RPCErrorCode.invalidRequest, "null")
    }

    func testMissingMethodAndResultIsInvalid() {
        assertHeadError(RPCErrorCode.invalidRequest, #"{"jsonrpc":"2.0","id":1}"#)
        assertHeadError(RPCErrorCode.invalidRequest, #"{"jsonrpc":"2.0","id":1,"params":{}}"#)
    }

    func testBothResultAndErrorIsInvalid() {
        assertHeadError(RPCErrorCode.invalidRequest, #"{"jsonrpc":"2.0","id":1,"result":{},"error":{"code":1,"message":"x"}}"#)
    }

    func testRequestCarryingResultOrErrorIsInvalid() {
        assertHeadError(RPCErrorCode.invalidRequest, #"{"jsonrpc":"2.0","id":1,"method":"step","params":{},"result":{}}"#)
        assertHeadError(
            RPCErrorCode.invalidRequest,
            #"{"jsonrpc":"2.0","id":1,"method":"step","params":{},"error":{"code":1,"message":"x"}}"#)
    }

    func testMethodMustBeAShortNonEmptyString() {
        assertHeadError(RPCErrorCode.invalidRequest, #"{"jsonrpc":"2.0","id":1,"method":"","params":{}}"#)
        let long = String(repeating: "m", count: 65)
        assertHeadError(RPCErrorCode.invalidRequest, #"{"jsonrpc":"2.0","id":1,"method":"\#(long)","params":{}}"#)
        assertHeadError(RPCErrorCode.invalidRequest, #"{"jsonrpc":"2.0","id":1,"method":5,"params":{}}"#)
        XCTAssertNoThrow(try head(#"{"jsonrpc":"2.0","id":1,"method":"\#(String(repeating: "m", count: 64))","params":{}}"#))
    }

    func testMalformedErrorObjectIsInvalid() {
        assertHeadError(RPCErrorCode.invalidRequest, #"{"jsonrpc":"2.0","id":1,"error":{"code":"x","message":"y"}}"#)
        assertHeadError(RPCErrorCode.invalidRequest, #"{"jsonrpc":"2.0","id":1,"error":{"code":1}}"#)
    }

    func testAttachmentUnderBase64IsInvalid() {
        Support.assertRPCError(RPCErrorCode.invalidRequest, mentions: ["attachment"]) {
            _ = try self.head(#"{"jsonrpc":"2.0","id":1,"result":{}}"#, transport: .base64, attachment: [0, 0, 0, 0])
        }
    }

    // MARK: - Typed decoding (-32602 naming the field)

    func testMissingParamsMemberNamesThePath() {
        Support.assertRPCError(RPCErrorCode.invalidParams, mentions: ["params.input", "missing"]) {
            _ = try MessageCodec().decode(
                RPCRequest<ForwardParams>.self,
                from: Support.frame(#"{"jsonrpc":"2.0","id":1,"method":"forward","params":{"training":true}}"#))
        }
        Support.assertRPCError(RPCErrorCode.invalidParams, mentions: ["params", "missing"]) {
            _ = try MessageCodec().decode(
                RPCRequest<Empty>.self, from: Support.frame(#"{"jsonrpc":"2.0","id":1,"method":"step"}"#))
        }
    }

    func testWrongTypeNamesThePath() {
        Support.assertRPCError(RPCErrorCode.invalidParams, mentions: ["params.training"]) {
            _ = try MessageCodec().decode(
                RPCRequest<ForwardParams>.self,
                from: Support.frame(
                    #"{"jsonrpc":"2.0","id":1,"method":"forward","params":{"training":"yes","input":{"dtype":"f32","shape":[1],"data":"AACAPw=="}}}"#
                ))
        }
        Support.assertRPCError(RPCErrorCode.invalidParams, mentions: ["params.need_input_grad"]) {
            _ = try MessageCodec().decode(
                RPCRequest<BackwardParams>.self,
                from: Support.frame(
                    #"{"jsonrpc":"2.0","id":1,"method":"backward","params":{"need_input_grad":null,"grad_output":{"dtype":"f32","shape":[1],"data":"AACAPw=="}}}"#
                ))
        }
        Support.assertRPCError(RPCErrorCode.invalidParams, mentions: ["params.role"]) {
            _ = try MessageCodec().decode(
                RPCRequest<InitializeParams>.self,
                from: Support.frame(
                    #"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocol_version":1,"role":"transformer","transports":["base64"]}}"#
                ))
        }
    }

    func testArrayElementsAppearWithIndexInThePath() {
        Support.assertRPCError(RPCErrorCode.invalidParams, mentions: ["params.input_shape[1]"]) {
            _ = try MessageCodec().decode(
                RPCRequest<ConfigureParams>.self,
                from: Support.frame(
                    #"{"jsonrpc":"2.0","id":1,"method":"configure","params":{"input_shape":[4,"x"],"output_shape":[2],"seed":1,"parameters":{}}}"#
                ))
        }
    }

    func testTensorErrorNamesTheTensorField() {
        Support.assertRPCError(RPCErrorCode.invalidParams, mentions: ["params.grad_output", "dtype"]) {
            _ = try MessageCodec().decode(
                RPCRequest<BackwardParams>.self,
                from: Support.frame(
                    #"{"jsonrpc":"2.0","id":1,"method":"backward","params":{"need_input_grad":true,"grad_output":{"dtype":"f16","shape":[1],"data":"AACAPw=="}}}"#
                ))
        }
    }

    func testCustomCodeIsUsedForTypedErrors() {
        Support.assertRPCError(RPCErrorCode.invalidRequest, mentions: ["result.steps"]) {
            _ = try MessageCodec().decode(
                RPCResult<StepResult>.self, from: Support.frame(#"{"jsonrpc":"2.0","id":1,"result":{}}"#),
                code: RPCErrorCode.invalidRequest)
        }
    }

    func testUnknownMembersAreIgnored() throws {
        let r = try MessageCodec().decode(
            RPCResult<StepResult>.self,
            from: Support.frame(#"{"jsonrpc":"2.0","id":1,"result":{"steps":3,"extra":"ok"},"x":1}"#))
        XCTAssertEqual(r.result.steps, 3)
    }

    // MARK: - Encoding

    func testRequestRoundTrip() throws {
        let params = ConfigureParams(
            inputShape: [128], outputShape: [32], seed: 42,
            parameters: ["learning_rate": .number(0.01), "activation": .string("tanh")])
        let codec = MessageCodec()
        let frame = try codec.encode(RPCRequest(id: .number(5), method: MethodName.configure, params: params))
        let h = try codec.decodeHead(frame)
        XCTAssertEqual(h.id, .number(5))
        XCTAssertEqual(h.method, "configure")
        let object = try Support.jsonObject(frame)
        XCTAssertEqual(object["jsonrpc"], .string("2.0"))
        XCTAssertEqual(object["params"]?.objectValue?["input_shape"], .array([.number(128)]))
        XCTAssertEqual(try codec.decode(RPCRequest<ConfigureParams>.self, from: frame).params, params)
    }

    func testNotificationIsEncodedWithoutID() throws {
        let frame = try MessageCodec().encode(
            RPCRequest(id: nil, method: MethodName.log, params: LogParams(level: .warning, message: "w")))
        let object = try Support.jsonObject(frame)
        XCTAssertNil(object["id"])
        XCTAssertEqual(object["params"], .object(["level": .string("warning"), "message": .string("w")]))
    }

    func testErrorResponseWithoutIDEncodesNull() throws {
        let frame = try MessageCodec().encode(RPCErrorResponse(id: nil, error: .wrongState("not configured yet")))
        let object = try Support.jsonObject(frame)
        XCTAssertEqual(object["id"], .null)
        XCTAssertEqual(object["error"], .object(["code": .number(-32000), "message": .string("not configured yet")]))
        let h = try MessageCodec().decodeHead(frame)
        XCTAssertEqual(h.error?.code, RPCErrorCode.wrongState)
    }

    func testEmptyResultEncodesAsEmptyObject() throws {
        let frame = try MessageCodec().encode(RPCResult(id: .number(9), result: Empty()))
        XCTAssertEqual(try Support.jsonObject(frame)["result"], .object([:]))
        XCTAssertEqual(try MessageCodec().decode(RPCResult<Empty>.self, from: frame).id, .number(9))
    }

    func testErrorCodesHaveTheirDocumentedValues() {
        XCTAssertEqual(RPCErrorCode.parseError, -32700)
        XCTAssertEqual(RPCErrorCode.invalidRequest, -32600)
        XCTAssertEqual(RPCErrorCode.methodNotFound, -32601)
        XCTAssertEqual(RPCErrorCode.invalidParams, -32602)
        XCTAssertEqual(RPCErrorCode.internalError, -32603)
        XCTAssertEqual(RPCErrorCode.wrongState, -32000)
        XCTAssertEqual(RPCErrorCode.stateMismatch, -32001)
        XCTAssertEqual(RPCErrorCode.numericalError, -32002)
        XCTAssertEqual(RPCError.invalidParams("x"), RPCError(code: -32602, message: "x"))
        XCTAssertEqual(RPCError(code: 1, message: "m").description, "JSON-RPC error 1: m")
    }

    func testMethodNamesAreSpelledAsOnTheWire() {
        XCTAssertEqual(
            [
                MethodName.initialize, MethodName.configure, MethodName.forward, MethodName.backward, MethodName.step,
                MethodName.exportState, MethodName.importState, MethodName.debugInfo, MethodName.shutdown, MethodName.log,
            ],
            [
                "initialize", "configure", "forward", "backward", "step",
                "export_state", "import_state", "debug_info", "shutdown", "log",
            ])
        XCTAssertEqual(PluginRole.allCases.map(\.rawValue), ["encoder", "decoder"])
        XCTAssertEqual(TensorTransport.allCases.map(\.rawValue), ["base64", "binary", "shared_memory"])
        XCTAssertEqual(PluginProtocolVersion.current, 1)
    }
}
