import Foundation
import PluginKit
import PluginProtocol
import StateStore
import TestSupport
import XCTest

@testable import Coordinator

/// Test plugins whose schemas overlap in one knob (`l2_reg`) and differ in another.
private enum KnobEncoder: NeuralNetworkPlugin {
    static let name = "knob-test", version = "1.0.0", role = PluginRole.encoder
    static let parameters: ParameterSchema = [
        "l2_reg": ParameterSpec(.number, default: .number(0), minimum: 0, description: "L2"),
        "encoder_only": ParameterSpec(.number, default: .number(1), description: "an encoder knob"),
    ]
    static func build(_ c: ModelConfiguration, rng: inout SeededGenerator) throws(RPCError) -> Sequential {
        Sequential([Dense(inputSize: c.inputSize, outputSize: c.outputSize, activation: .linear, name: "out", rng: &rng)])
    }
}

private enum KnobDecoder: NeuralNetworkPlugin {
    static let name = "knob-test", version = "1.0.0", role = PluginRole.decoder
    static let parameters: ParameterSchema = [
        "l2_reg": ParameterSpec(.number, default: .number(0), minimum: 0, description: "L2")
    ]
    static func build(_ c: ModelConfiguration, rng: inout SeededGenerator) throws(RPCError) -> Sequential {
        Sequential([Dense(inputSize: c.inputSize, outputSize: c.outputSize, activation: .linear, name: "out", rng: &rng)])
    }
}

private final class Collected: @unchecked Sendable {
    private let lock = NSLock()
    private var items: [String] = []
    func append(_ s: String) { lock.withLock { items.append(s) } }
    var all: [String] { lock.withLock { items } }
}

/// `plugin_parameters` (the original's top-level knobs) reach each plugin that declares them.
final class PluginParameterRoutingTests: XCTestCase {
    func testAKnobGoesToEveryPluginThatDeclaresItAndANamespaceWins() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        var config = RunConfiguration()
        config.pluginParameters = ["l2_reg": .number(1e-5), "encoder_only": .number(3), "nobody": .number(1)]
        config.decoder = ["l2_reg": .number(0.5)]
        let warnings = Collected()
        var env = RunEnvironment(
            pluginDirectories: [], sandbox: nil, store: try StateStore.open(path: dir.file("db.sqlite")), actor: "test",
            signingKey: nil)
        env.warn = { warnings.append($0) }
        let run = FeatureExtractionRun(config: config, environment: env)
        let encoder = try InProcessPlugin<KnobEncoder>(), decoder = try InProcessPlugin<KnobDecoder>()
        XCTAssertEqual(
            try run.parameters(config.encoder, for: encoder, key: "encoder"),
            ["l2_reg": .number(1e-5), "encoder_only": .number(3)])
        XCTAssertEqual(
            try run.parameters(config.decoder, for: decoder, key: "decoder"), ["l2_reg": .number(0.5)],
            "the decoder's own namespace wins; the encoder's knob does not leak to it")
        run.warnUndeclaredPluginParameters(Autoencoder(encoder: encoder, decoder: decoder))
        XCTAssertEqual(warnings.all.count, 1)
        XCTAssertTrue(warnings.all[0].hasPrefix("plugin_parameters nobody: declared by neither"), "\(warnings.all)")
    }
}
