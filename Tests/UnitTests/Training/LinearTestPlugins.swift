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

/// A decoder whose answers are finite but enormous (the linear decoder's output times 1e30):
/// allowed by the protocol, and the coordinator's arithmetic must survive it.
enum HugeOutputTestDecoder: NeuralNetworkPlugin {
    static let name = "huge-output", version = "1.0.0", role = PluginRole.decoder
    static let parameters = LinearTestEncoder.parameters
    static func build(_ c: ModelConfiguration, rng: inout SeededGenerator) throws(RPCError) -> Sequential {
        let n = c.outputSize
        let scale = Matrix(rows: n, cols: n, values: (0..<(n * n)).map { $0 % (n + 1) == 0 ? 1e30 : 0 })
        return Sequential([
            Dense(inputSize: c.inputSize, outputSize: n, activation: .linear, name: "out", rng: &rng), FixedTransform(scale),
        ])
    }
}
