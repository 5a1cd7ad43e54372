import PluginHost
import PluginProtocol
import TestSupport
import XCTest

/// The host and real plugin processes agreeing (or refusing) at start-up.
final class PluginHandshakeTests: XCTestCase {
    func testBundledEncoderIdentifiesItselfAndPrefersBinaryTransport() throws {
        let c = try TestPlugins.connect("ann", .encoder)
        defer { c.shutdown() }
        let info = try XCTUnwrap(c.info)
        XCTAssertEqual(info.name, "ann")
        XCTAssertEqual(info.role, .encoder)
        XCTAssertEqual(info.transport, .binary)
        XCTAssertTrue(info.protocol.contains(PluginProtocolVersion.current))
        XCTAssertNotNil(info.parameters["learning_rate"])
    }

    func testBase64OnlyOfferIsHonoured() throws {
        let c = try PluginConnection(
            package: try TestPlugins.locator.locate(name: "ann", role: .decoder), role: .decoder, sandbox: TestPlugins.sandbox)
        defer { c.shutdown() }
        XCTAssertEqual(try c.initialize(transports: [.base64]).transport, .base64)
        let setup = try c.call(
            MethodName.configure, ConfigureParams(inputShape: [4], outputShape: [8], seed: 1, parameters: [:]),
            as: ConfigureResult.self)
        XCTAssertGreaterThan(setup.parameterCount, 0)
        let out = try c.call(
            MethodName.forward,
            ForwardParams(input: Tensor(rows: 3, cols: 4, values: Array(repeating: 0.5, count: 12)), training: false),
            as: ForwardResult.self)
        XCTAssertEqual(out.output.shape, [3, 8])
    }

    func testPluginLyingAboutItsNameIsRefused() throws {
        let c = try PluginConnection(
            package: try TestPlugins.locator.locate(name: "lying-name", role: .encoder), role: .encoder,
            sandbox: TestPlugins.sandbox)
        defer { c.shutdown() }
        XCTAssertThrowsError(try c.initialize()) { error in
            guard case PluginError.incompatible(_, let reason) = error else { return XCTFail("\(error)") }
            XCTAssertTrue(reason.contains("someone-else") && reason.contains("manifest"), reason)
        }
    }

    func testEncoderStartedAsDecoderIsRefusedByTheHost() throws {
        // The package says encoder; asking the locator for a decoder of that name must not find it.
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let pkg = try TestPlugins.locator.locate(name: "ann", role: .encoder)
        try FileManager.default.createDirectory(atPath: dir.path + "/decoders", withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: pkg.directory, toPath: dir.path + "/decoders/ann")
        XCTAssertThrowsError(
            try PluginLocator(directories: [dir.path], verification: TestPlugins.verification).locate(name: "ann", role: .decoder)
        ) { error in
            XCTAssertTrue("\(error)".contains("declares role encoder"), "\(error)")
        }
    }

    func testInvalidParametersAreRefusedByThePluginWithJSONRPCErrors() throws {
        let c = try TestPlugins.connect("ann", .encoder)
        defer { c.shutdown() }
        for (params, fragment) in [
            (["activation": JSONValue.string("swish")], "not one of"),
            (["no_such_knob": JSONValue.number(1)], "unknown parameter"),
            (["learning_rate": JSONValue.number(-1)], "below the minimum"),
        ] {
            XCTAssertThrowsError(
                try c.call(
                    MethodName.configure, ConfigureParams(inputShape: [16], outputShape: [4], seed: 1, parameters: params),
                    as: ConfigureResult.self)
            ) { error in
                guard case PluginError.remoteError(_, _, let rpc) = error else { return XCTFail("\(error)") }
                XCTAssertEqual(rpc.code, RPCErrorCode.invalidParams)
                XCTAssertTrue(rpc.message.contains(fragment), rpc.message)
            }
        }
        // Refusals leave the plugin usable.
        XCTAssertNoThrow(
            try c.call(
                MethodName.configure, ConfigureParams(inputShape: [16], outputShape: [4], seed: 1, parameters: [:]),
                as: ConfigureResult.self))
    }

    func testWrongShapedInputIsRefusedWithoutKillingThePlugin() throws {
        let c = try TestPlugins.connect("ann", .encoder)
        defer { c.shutdown() }
        _ = try c.call(
            MethodName.configure, ConfigureParams(inputShape: [16], outputShape: [4], seed: 1, parameters: [:]),
            as: ConfigureResult.self)
        XCTAssertThrowsError(
            try c.call(
                MethodName.forward,
                ForwardParams(input: Tensor(rows: 2, cols: 15, values: Array(repeating: 0, count: 30)), training: false),
                as: ForwardResult.self)
        ) { error in
            guard case PluginError.remoteError(_, _, let rpc) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(rpc.code, RPCErrorCode.invalidParams)
        }
        let ok = try c.call(
            MethodName.forward,
            ForwardParams(input: Tensor(rows: 2, cols: 16, values: Array(repeating: 0, count: 32)), training: false),
            as: ForwardResult.self)
        XCTAssertEqual(ok.output.shape, [2, 4])
    }
}
