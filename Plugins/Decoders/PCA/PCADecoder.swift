import PluginKit
import PluginProtocol

/// The optimal linear decoder: the training windows' mean plus the principal
/// components weighted by the features, fitted in closed form.
enum PCADecoder: NeuralNetworkPlugin {
    static let name = "pca"
    static let version = "1.0.0"
    static let role = PluginRole.decoder
    static let parameters: ParameterSchema = [:]

    static func build(_ c: ModelConfiguration, rng: inout SeededGenerator) throws(RPCError) -> Sequential {
        try PrincipalPath.check(window: c.outputSize, interface: c.inputSize)
        return Sequential([PrincipalReconstruction(rank: c.inputSize, windowSize: c.outputSize, name: "pca")])
    }
}
