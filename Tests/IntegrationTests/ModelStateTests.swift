import PluginHost
import PluginProtocol
import TestSupport
import XCTest

/// Weights leaving one plugin process and entering another.
final class ModelStateTests: XCTestCase {
    private func configured(_ seed: UInt64) throws -> PluginConnection {
        let c = try TestPlugins.connect("ann", .encoder)
        // Without the linear path the seed alone decides the starting function (with it, every seed starts as PCA).
        _ = try c.call(
            MethodName.configure,
            ConfigureParams(
                inputShape: [32], outputShape: [6], seed: seed,
                parameters: ["linear_path": .bool(false)]), as: ConfigureResult.self)
        return c
    }

    private func features(_ c: PluginConnection, _ x: Tensor) throws -> [Float] {
        try c.call(MethodName.forward, ForwardParams(input: x, training: false), as: ForwardResult.self).output.values
    }

    func testExportImportReproducesOutputsBitForBit() throws {
        let a = try configured(7), b = try configured(8)
        defer { a.shutdown(); b.shutdown() }
        let x = Tensor(rows: 5, cols: 32, values: (0..<160).map { sin(Float($0) / 7) })
        XCTAssertNotEqual(try features(a, x), try features(b, x), "different seeds must give different models")
        let state = try a.call(MethodName.exportState, Empty(), as: ModelState.self)
        _ = try b.call(MethodName.importState, state, as: Empty.self)
        XCTAssertEqual(try features(a, x), try features(b, x))
    }

    func testImportOfWrongShapesIsRefusedAndLeavesTheModelIntact() throws {
        let a = try configured(7)
        defer { a.shutdown() }
        let x = Tensor(rows: 2, cols: 32, values: (0..<64).map { Float($0) / 64 })
        let before = try features(a, x)
        var state = try a.call(MethodName.exportState, Empty(), as: ModelState.self)
        let name = try XCTUnwrap(state.tensors.keys.sorted().last)
        state.tensors[name] = Tensor(rows: 1, cols: 3, values: [1, 2, 3])
        XCTAssertThrowsError(try a.call(MethodName.importState, state, as: Empty.self)) { error in
            guard case PluginError.remoteError(_, _, let rpc) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(rpc.code, RPCErrorCode.stateMismatch)
            XCTAssertTrue(rpc.message.contains(name), rpc.message)
        }
        XCTAssertEqual(try features(a, x), before)
    }
}
