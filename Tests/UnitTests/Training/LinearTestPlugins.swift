import PluginKit
import PluginProtocol

/// The smallest trainable pair: one linear layer each way, with the learning rate as the only knob.
enum LinearTestEncoder: NeuralNetworkPlugin {
    static let name = "linear-test", version = "1.0.0", role = PluginRole.encoder
    static let parameters: ParameterSchema = [
        "learning_rate": ParameterSpec(.number, default: .number(1e-2), minimum: 0, description: "Adam step size")
    ]
    static func build(_ c: ModelConfiguration, rng: inout SeededGenerator) throws(RPCError) -> Sequential {
        Sequential([Dense(inputSize: c.inputSize, outputSize: c.outputSize, activation: .linear, name: "out", rng: &rng)])
    }
}

enum LinearTestDecoder: NeuralNetworkPlugin {
    static let name = "linear-test", version = "1.0.0", role = PluginRole.decoder
    static let parameters = LinearTestEncoder.parameters
    static func build(_ c: ModelConfiguration, rng: inout SeededGenerator) throws(RPCError) -> Sequential {
        Sequential([Dense(inputSize: c.inputSize, outputSize: c.outputSize, activation: .linear, name: "out", rng: &rng)])
    }
}
