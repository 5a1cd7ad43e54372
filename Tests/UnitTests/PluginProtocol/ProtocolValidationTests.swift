import Foundation
import XCTest

@testable import PluginProtocol

/// The limits on what peers say about themselves: InitializeResult,
/// ConfigureParams, ModelState, names, versions, protocol ranges.
final class ProtocolValidationTests: XCTestCase {
    typealias Support = ProtocolTestSupport

    private func initializeResult(
        name: String = "ann", version: String = "1.0.0",
        protocol range: ProtocolRange = ProtocolRange(min: 1, max: 1),
        parameters: ParameterSchema = [
            "learning_rate": ParameterSpec(.number, default: .number(0.001), minimum: 0, description: "lr")
        ],
        debugVariables: [String] = ["steps", "learning_rate"]
    ) -> InitializeResult {
        InitializeResult(
            name: name, version: version, role: .encoder, protocol: range, transport: .base64,
            parameters: parameters, debugVariables: debugVariables)
    }

    // MARK: - InitializeResult

    func testValidInitializeResultPasses() {
        XCTAssertNoThrow(try initializeResult().validate())
        XCTAssertNoThrow(try initializeResult(parameters: [:], debugVariables: []).validate())
        XCTAssertNoThrow(try initializeResult(protocol: ProtocolRange(min: 1, max: 3)).validate())
    }

    func testInitializeResultRefusesBadNameAndVersion() {
        Support.assertRPCError(RPCErrorCode.invalidParams, mentions: ["name"]) {
            try self.initializeResult(name: "ANN").validate()
        }
        Support.assertRPCError(RPCErrorCode.invalidParams, mentions: ["name"]) {
            try self.initializeResult(name: "../ann").validate()
        }
        Support.assertRPCError(RPCErrorCode.invalidParams, mentions: ["version"]) {
            try self.initializeResult(version: "1.0").validate()
        }
        Support.assertRPCError(RPCErrorCode.invalidParams, mentions: ["version"]) {
            try self.initializeResult(version: "v1.0.0").validate()
        }
    }

    func testInitializeResultRefusesEmptyProtocolRange() {
        Support.assertRPCError(RPCErrorCode.invalidParams, mentions: ["protocol"]) {
            try self.initializeResult(protocol: ProtocolRange(min: 2, max: 1)).validate()
        }
        Support.assertRPCError(RPCErrorCode.invalidParams, mentions: ["protocol"]) {
            try self.initializeResult(protocol: ProtocolRange(min: 0, max: 1)).validate()
        }
    }

    func testInitializeResultLimitsCounts() {
        let spec = ParameterSpec(.boolean, default: .bool(true), description: "")
        var params = ParameterSchema()
        for i in 0..<256 { params["p\(i)"] = spec }
        XCTAssertNoThrow(try initializeResult(parameters: params, debugVariables: []).validate())
        params["p256"] = spec
        Support.assertRPCError(RPCErrorCode.invalidParams, mentions: ["too many"]) {
            try self.initializeResult(parameters: params, debugVariables: []).validate()
        }
        let vars = (0..<257).map { "v\($0)" }
        XCTAssertNoThrow(try initializeResult(debugVariables: Array(vars.prefix(256))).validate())
        Support.assertRPCError(RPCErrorCode.invalidParams, mentions: ["too many"]) {
            try self.initializeResult(debugVariables: vars).validate()
        }
    }

    func testInitializeResultChecksParameterNamesAndSpecs() {
        let ok = ParameterSpec(.number, default: .number(1), description: "")
        for bad in ["Learning_rate", "learning-rate", "1x", "", "a b", String(repeating: "k", count: 65)] {
            Support.assertRPCError(RPCErrorCode.invalidParams, mentions: ["parameter name"]) {
                try self.initializeResult(parameters: [bad: ok], debugVariables: []).validate()
            }
        }
        let longDescription = ParameterSpec(.number, default: .number(1), description: String(repeating: "d", count: 1025))
        Support.assertRPCError(RPCErrorCode.invalidParams, mentions: ["description too long"]) {
            try self.initializeResult(parameters: ["x": longDescription], debugVariables: []).validate()
        }
        XCTAssertNoThrow(
            try initializeResult(
                parameters: ["x": ParameterSpec(.number, default: .number(1), description: String(repeating: "d", count: 1024))],
                debugVariables: []
            ).validate())
        // A default that fails its own declaration.
        let badDefault = ParameterSpec(.integer, default: .number(0), minimum: 1, description: "")
        Support.assertRPCError(RPCErrorCode.invalidParams, mentions: ["parameter 'layers'"]) {
            try self.initializeResult(parameters: ["layers": badDefault], debugVariables: []).validate()
        }
        let wrongType = ParameterSpec(.string, default: .number(1), description: "")
        Support.assertRPCError(RPCErrorCode.invalidParams) {
            try self.initializeResult(parameters: ["s": wrongType], debugVariables: []).validate()
        }
    }

    func testInitializeResultChecksDebugVariableNames() {
        Support.assertRPCError(RPCErrorCode.invalidParams, mentions: ["debug variable 'layer-sizes'"]) {
            try self.initializeResult(debugVariables: ["steps", "layer-sizes"]).validate()
        }
    }

    func testInitializeResultWireNames() throws {
        let frame = try MessageCodec().encode(initializeResult())
        let object = try Support.jsonObject(frame)
        XCTAssertEqual(Set(object.keys), ["name", "version", "role", "protocol", "transport", "parameters", "debug_variables"])
        XCTAssertEqual(object["protocol"], .object(["min": .number(1), "max": .number(1)]))
        let params = try JSONDecoder().decode(
            JSONValue.self,
            from: Data(
                try MessageCodec().encode(
                    InitializeParams(role: .decoder, transports: [.binary, .base64])
                ).json))
        XCTAssertEqual(
            params,
            .object([
                "protocol_version": .number(1), "role": .string("decoder"),
                "transports": .array([.string("binary"), .string("base64")]),
            ]))
    }

    // MARK: - ConfigureParams

    private func configure(_ input: [Int], _ output: [Int], seed: UInt64 = 1) -> ConfigureParams {
        ConfigureParams(inputShape: input, outputShape: output, seed: seed, parameters: [:])
    }

    func testConfigureParamsAcceptsOrdinaryShapes() {
        XCTAssertNoThrow(try configure([128], [32]).validate())
        XCTAssertNoThrow(try configure([16, 8], [4]).validate())
        XCTAssertNoThrow(try configure([2, 3, 4], [1]).validate())
        XCTAssertNoThrow(try configure([1 << 20], [1 << 4]).validate())
        XCTAssertNoThrow(try configure([4096, 4096], [1]).validate())  // exactly 2^24 scalars
    }

    func testConfigureParamsRefusesBadShapes() {
        let bad: [([Int], [Int], String)] = [
            ([], [4], "input_shape"),
            ([4], [], "output_shape"),
            ([1, 1, 1, 1], [4], "input_shape"),  // rank 4 plus the batch would be 5
            ([0], [4], "input_shape"),
            ([4], [-1], "output_shape"),
            ([(1 << 20) + 1], [4], "input_shape"),
            ([4096, 4097], [4], "input_shape"),  // over 2^24 scalars
            ([4], [1 << 20, 1 << 20], "output_shape"),
        ]
        for (input, output, field) in bad {
            Support.assertRPCError(RPCErrorCode.invalidParams, mentions: [field]) { try self.configure(input, output).validate() }
        }
    }

    func testConfigureSeedIsAtMost2To53() {
        XCTAssertNoThrow(try configure([4], [2], seed: 1 << 53).validate())
        XCTAssertNoThrow(try configure([4], [2], seed: 0).validate())
        Support.assertRPCError(RPCErrorCode.invalidParams, mentions: ["seed"]) {
            try self.configure([4], [2], seed: (1 << 53) + 1).validate()
        }
        Support.assertRPCError(RPCErrorCode.invalidParams, mentions: ["seed"]) {
            try self.configure([4], [2], seed: .max).validate()
        }
    }

    // MARK: - ModelState

    func testModelStateLimits() {
        let t = Tensor(shape: [1], values: [0])
        XCTAssertNoThrow(try ModelState(tensors: [:]).validate())
        XCTAssertNoThrow(
            try ModelState(tensors: ["out.weight": t, "_private": t, String(repeating: "n", count: 128): t]).validate())
        for bad in ["", "__metadata__", "__x", String(repeating: "n", count: 129), String(repeating: "é", count: 65)] {
            Support.assertRPCError(RPCErrorCode.invalidParams, mentions: ["tensor name"]) {
                try ModelState(tensors: [bad: t]).validate()
            }
        }
        var many: [String: Tensor] = [:]
        for i in 0..<4096 { many["t\(i)"] = t }
        XCTAssertNoThrow(try ModelState(tensors: many).validate())
        many["t4096"] = t
        Support.assertRPCError(RPCErrorCode.invalidParams, mentions: ["too many tensors (4097)"]) {
            try ModelState(tensors: many).validate()
        }
    }

    // MARK: - Names

    func testPluginNames() {
        for ok in ["a", "ann", "my-encoder", "conv1d_v2", "a0", String(repeating: "z", count: 64)] {
            XCTAssertTrue(PluginName.isValid(ok), ok)
        }
        for bad in [
            "", "A", "Ann", "../x", "..", ".", "a/b", "a\\b", "1abc", "-a", "_a", "a b", "a.b", "é", "ann\n",
            String(repeating: "z", count: 65), "a\u{0}",
        ] {
            XCTAssertFalse(PluginName.isValid(bad), bad.debugDescription)
        }
    }

    func testParameterKeys() {
        for ok in ["a", "learning_rate", "l2_reg", "x9", String(repeating: "k", count: 64)] {
            XCTAssertTrue(PluginName.isValidKey(ok), ok)
        }
        for bad in ["", "A", "a-b", "../x", "a/b", "9a", "_a", "learning rate", String(repeating: "k", count: 65)] {
            XCTAssertFalse(PluginName.isValidKey(bad), bad.debugDescription)
        }
    }

    func testProtocolRange() {
        let r = ProtocolRange(min: 1, max: 3)
        XCTAssertTrue(r.contains(1))
        XCTAssertTrue(r.contains(3))
        XCTAssertFalse(r.contains(0))
        XCTAssertFalse(r.contains(4))
        XCTAssertTrue(r.isValid)
        XCTAssertEqual(r.description, "1...3")
        XCTAssertEqual(ProtocolRange(min: 1, max: 1).description, "1")
        XCTAssertFalse(ProtocolRange(min: 0, max: 0).isValid)
        XCTAssertFalse(ProtocolRange(min: 3, max: 2).isValid)
    }

    // MARK: - JSONValue

    func testJSONValueDescriptionEscapes() {
        XCTAssertEqual(JSONValue.string("plain").description, #""plain""#)
        XCTAssertEqual(JSONValue.string("a\"b").description, #""a\"b""#)
        XCTAssertEqual(JSONValue.string("back\\slash").description, #""back\\slash""#)
        XCTAssertEqual(JSONValue.string("l1\nl2\r\tx").description, #""l1\nl2\r\tx""#)
        XCTAssertEqual(JSONValue.string("\u{0}\u{1}\u{1b}\u{1f}").description, #""\u0000\u0001\u001b\u001f""#)
        XCTAssertEqual(JSONValue.string("é✓\u{7f} ").description, "\"é✓\u{7f} \"")
        // Whatever the content, the description is JSON that reads back as the same string.
        let tricky = "q\"\\\n\r\t\u{8}\u{c}\u{1}\u{1f}\u{2028}end"
        let back = try? JSONDecoder().decode(String.self, from: Data(JSONValue.string(tricky).description.utf8))
        XCTAssertEqual(back, tricky)
    }

    func testJSONValueDescriptionOfOtherValues() {
        XCTAssertEqual(JSONValue.null.description, "null")
        XCTAssertEqual(JSONValue.bool(true).description, "true")
        XCTAssertEqual(JSONValue.bool(false).description, "false")
        XCTAssertEqual(JSONValue.number(3).description, "3")
        XCTAssertEqual(JSONValue.number(-0.0).description, "0")
        XCTAssertEqual(JSONValue.number(0.5).description, "0.5")
        XCTAssertEqual(JSONValue.number(.nan).description, "null")
        XCTAssertEqual(JSONValue.number(.infinity).description, "null")
        XCTAssertEqual(JSONValue.array([.number(1), .string("x"), .null]).description, #"[1,"x",null]"#)
        XCTAssertEqual(
            JSONValue.object(["b": .number(2), "a": .object(["z\"": .bool(true)])]).description, #"{"a":{"z\"":true},"b":2}"#)
    }

    func testJSONValueDecodingAndAccessors() throws {
        let json = #"{"n":1.5,"i":3,"s":"x","b":false,"z":null,"a":[1,{"k":[]}]}"#
        let v = try JSONDecoder().decode(JSONValue.self, from: Data(json.utf8))
        let o = try XCTUnwrap(v.objectValue)
        XCTAssertEqual(o["n"]?.doubleValue, 1.5)
        XCTAssertNil(o["n"]?.intValue)
        XCTAssertEqual(o["i"]?.intValue, 3)
        XCTAssertEqual(o["s"]?.stringValue, "x")
        XCTAssertEqual(o["b"]?.boolValue, false)
        XCTAssertEqual(o["z"], .null)
        XCTAssertEqual(o["a"]?.arrayValue?.count, 2)
        XCTAssertEqual(
            o.mapValues(\.typeName), ["n": "number", "i": "number", "s": "string", "b": "boolean", "z": "null", "a": "array"])
        XCTAssertEqual(v.typeName, "object")
        XCTAssertEqual(try JSONDecoder().decode(JSONValue.self, from: Data(JSONEncoder().encode(v))), v)
        XCTAssertEqual(JSONValue.number(9_007_199_254_740_992).intValue, 9_007_199_254_740_992)
        XCTAssertNil(JSONValue.number(18_014_398_509_481_984).intValue)
        XCTAssertNil(JSONValue.string("3").intValue)
    }
}
