import PluginKit

/// One dense layer without activation from the window to the interface: with a decoder it is a
/// linear autoencoder, which learns the windows' principal subspace, as PCA does.
enum LinearEncoder: NeuralNetworkPlugin {
    // Name, version and role come from plugin.json (the ManifestIdentity build plugin generates them).
    static let name = ManifestIdentity.name
    static let version = ManifestIdentity.version
    static let role = ManifestIdentity.role
    static let parameters: ParameterSchema = [
        "learning_rate": ParameterSpec(
            .number, default: .number(1e-2), minimum: 1e-8, maximum: 1, description: "Adam step size."),
        "l2_reg": ParameterSpec(.number, default: .number(0), minimum: 0, maximum: 1, description: "L2 penalty on the weights."),
    ]

    static func build(_ c: ModelConfiguration, rng: inout SeededGenerator) throws(RPCError) -> Sequential {
        Sequential([Dense(inputSize: c.inputSize, outputSize: c.outputSize, activation: .linear, name: "linear", rng: &rng)])
    }
}
