import Foundation
import XCTest

@testable import PluginProtocol

/// Plugin parameter declarations: type, range and enum checks, schema
/// resolution with defaults, and parsing of command-line strings.
final class ParameterSpecTests: XCTestCase {
    typealias Support = ProtocolTestSupport

    private let schema: ParameterSchema = [
        "learning_rate": ParameterSpec(.number, default: .number(0.001), minimum: 0, maximum: 1, description: "Adam step size"),
        "layers": ParameterSpec(.integer, default: .number(2), minimum: 1, maximum: 8, description: "hidden layers"),
        "activation": ParameterSpec(.string, default: .string("tanh"), allowed: ["tanh", "relu", "linear"], description: "f"),
        "bias": ParameterSpec(.boolean, default: .bool(true), description: "use biases"),
    ]

    private func assertRefused(
        _ spec: ParameterSpec, _ value: JSONValue, mentions: [String] = [],
        file: StaticString = #filePath, line: UInt = #line
    ) {
        Support.assertRPCError(
            RPCErrorCode.invalidParams, mentions: ["parameter 'p'"] + mentions,
            { try spec.check(value, name: "p") }, file: file, line: line)
    }

    // MARK: - check

    func testIntegerType() throws {
        let spec = ParameterSpec(.integer, default: .number(1), description: "")
        for ok: JSONValue in [.number(3), .number(3.0), .number(-7), .number(0), .number(9_007_199_254_740_992)] {
            XCTAssertNoThrow(try spec.check(ok, name: "p"), "\(ok)")
        }
        for bad: JSONValue in [
            .number(3.5), .string("3"), .bool(true), .null, .array([.number(1)]), .number(1e300), .number(.infinity),
        ] {
            assertRefused(spec, bad, mentions: ["integer"])
        }
    }

    func testNumberType() throws {
        let spec = ParameterSpec(.number, default: .number(1), description: "")
        for ok: JSONValue in [.number(0.5), .number(-2), .number(1e-300)] { XCTAssertNoThrow(try spec.check(ok, name: "p")) }
        for bad: JSONValue in [.number(.nan), .number(.infinity), .string("0.5"), .bool(false), .null, .object([:])] {
            assertRefused(spec, bad, mentions: ["number"])
        }
    }

    func testStringType() throws {
        let spec = ParameterSpec(.string, default: .string("a"), description: "")
        XCTAssertNoThrow(try spec.check(.string(""), name: "p"))
        XCTAssertNoThrow(try spec.check(.string("anything"), name: "p"))
        for bad: JSONValue in [.number(1), .bool(true), .null, .array([])] { assertRefused(spec, bad, mentions: ["string"]) }
    }

    func testBooleanType() throws {
        let spec = ParameterSpec(.boolean, default: .bool(false), description: "")
        XCTAssertNoThrow(try spec.check(.bool(true), name: "p"))
        XCTAssertNoThrow(try spec.check(.bool(false), name: "p"))
        for bad: JSONValue in [.string("true"), .number(1), .null] { assertRefused(spec, bad, mentions: ["true or false"]) }
    }

    func testMinimumAndMaximumAreInclusive() throws {
        let spec = ParameterSpec(.number, default: .number(0.5), minimum: 0, maximum: 1, description: "")
        XCTAssertNoThrow(try spec.check(.number(0), name: "p"))
        XCTAssertNoThrow(try spec.check(.number(1), name: "p"))
        assertRefused(spec, .number(-0.001), mentions: ["below the minimum 0"])
        assertRefused(spec, .number(1.5), mentions: ["above the maximum 1"])
        let integer = ParameterSpec(.integer, default: .number(2), minimum: 1, maximum: 8, description: "")
        assertRefused(integer, .number(0), mentions: ["minimum"])
        assertRefused(integer, .number(9), mentions: ["maximum"])
        XCTAssertNoThrow(try integer.check(.number(8), name: "p"))
    }

    func testEnumRestrictsStrings() throws {
        let spec = schema["activation"]!
        for ok in ["tanh", "relu", "linear"] { XCTAssertNoThrow(try spec.check(.string(ok), name: "activation")) }
        Support.assertRPCError(RPCErrorCode.invalidParams, mentions: ["'sigmoid' is not one of tanh, relu, linear"]) {
            try spec.check(.string("sigmoid"), name: "activation")
        }
        Support.assertRPCError(RPCErrorCode.invalidParams) { try spec.check(.string("Tanh"), name: "activation") }
    }

    // MARK: - resolve

    func testResolveFillsDefaults() throws {
        let resolved = try schema.resolve([:])
        XCTAssertEqual(
            resolved, ["learning_rate": .number(0.001), "layers": .number(2), "activation": .string("tanh"), "bias": .bool(true)])
    }

    func testResolveKeepsGivenValues() throws {
        let resolved = try schema.resolve(["layers": .number(4), "activation": .string("relu")])
        XCTAssertEqual(resolved["layers"], .number(4))
        XCTAssertEqual(resolved["activation"], .string("relu"))
        XCTAssertEqual(resolved["learning_rate"], .number(0.001))
        XCTAssertEqual(resolved.count, 4)
    }

    func testResolveChecksGivenValues() {
        Support.assertRPCError(RPCErrorCode.invalidParams, mentions: ["parameter 'layers'", "maximum"]) {
            _ = try self.schema.resolve(["layers": .number(20)])
        }
        Support.assertRPCError(RPCErrorCode.invalidParams, mentions: ["parameter 'learning_rate'"]) {
            _ = try self.schema.resolve(["learning_rate": .string("fast")])
        }
    }

    func testResolveRefusesUnknownNamesListingTheKnownOnes() {
        Support.assertRPCError(
            RPCErrorCode.invalidParams,
            mentions: ["unknown parameter 'lerning_rate'", "known: activation, bias, layers, learning_rate"]
        ) {
            _ = try self.schema.resolve(["lerning_rate": .number(0.1)])
        }
        Support.assertRPCError(RPCErrorCode.invalidParams, mentions: ["unknown parameter 'x'", "known: none"]) {
            _ = try ParameterSchema().resolve(["x": .number(1)])
        }
    }

    func testResolveChecksDefaultsToo() {
        let broken: ParameterSchema = ["n": ParameterSpec(.integer, default: .number(0.5), description: "")]
        Support.assertRPCError(RPCErrorCode.invalidParams, mentions: ["parameter 'n'"]) { _ = try broken.resolve([:]) }
    }

    func testEmptySchemaResolvesToEmpty() throws {
        XCTAssertEqual(try ParameterSchema().resolve([:]), [:])
    }

    // MARK: - parse

    func testParseCommandLineStrings() {
        let integer = ParameterSpec(.integer, default: .number(1), description: "")
        XCTAssertEqual(integer.parse("12"), .number(12))
        XCTAssertEqual(integer.parse("-3"), .number(-3))
        XCTAssertNil(integer.parse("1.5"))
        XCTAssertNil(integer.parse("1e3"))
        XCTAssertNil(integer.parse("abc"))
        XCTAssertNil(integer.parse(""))
        XCTAssertNil(integer.parse(" 5"))

        let number = ParameterSpec(.number, default: .number(1), description: "")
        XCTAssertEqual(number.parse("0.01"), .number(0.01))
        XCTAssertEqual(number.parse("1e-3"), .number(0.001))
        XCTAssertEqual(number.parse("7"), .number(7))
        XCTAssertNil(number.parse("inf"))
        XCTAssertNil(number.parse("nan"))
        XCTAssertNil(number.parse("1e999"))
        XCTAssertNil(number.parse("x"))

        let boolean = ParameterSpec(.boolean, default: .bool(true), description: "")
        XCTAssertEqual(boolean.parse("true"), .bool(true))
        XCTAssertEqual(boolean.parse("false"), .bool(false))
        XCTAssertNil(boolean.parse("yes"))
        XCTAssertNil(boolean.parse("True"))
        XCTAssertNil(boolean.parse("1"))

        let string = ParameterSpec(.string, default: .string(""), description: "")
        XCTAssertEqual(string.parse("tanh"), .string("tanh"))
        XCTAssertEqual(string.parse(""), .string(""))
    }

    // MARK: - wire form

    func testSpecUsesDefaultAndEnumKeysOnTheWire() throws {
        let data = try JSONEncoder().encode(schema["activation"]!)
        let object = try XCTUnwrap(JSONDecoder().decode(JSONValue.self, from: data).objectValue)
        XCTAssertEqual(object["type"], .string("string"))
        XCTAssertEqual(object["default"], .string("tanh"))
        XCTAssertEqual(object["enum"], .array([.string("tanh"), .string("relu"), .string("linear")]))
        XCTAssertEqual(object["description"], .string("f"))
        XCTAssertNil(object["defaultValue"])
        XCTAssertNil(object["allowed"])
    }

    func testSpecDecodesFromPluginJSON() throws {
        let json = #"{"type":"integer","default":3,"minimum":1,"description":"d"}"#
        let spec = try JSONDecoder().decode(ParameterSpec.self, from: Data(json.utf8))
        XCTAssertEqual(spec, ParameterSpec(.integer, default: .number(3), minimum: 1, description: "d"))
        XCTAssertThrowsError(
            try JSONDecoder().decode(ParameterSpec.self, from: Data(#"{"type":"float","default":3,"description":"d"}"#.utf8)))
        XCTAssertThrowsError(
            try JSONDecoder().decode(ParameterSpec.self, from: Data(#"{"type":"number","description":"d"}"#.utf8)))
        XCTAssertThrowsError(try JSONDecoder().decode(ParameterSpec.self, from: Data(#"{"type":"number","default":1}"#.utf8)))
    }
}
