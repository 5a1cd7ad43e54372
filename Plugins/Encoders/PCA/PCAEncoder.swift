import PluginKit
import PluginProtocol

/// The optimal linear encoder: a window's coordinates along the leading
/// principal components of the training windows, fitted in closed form.
enum PCAEncoder: NeuralNetworkPlugin {
    static let name = "pca"
    static let version = "1.0.0"
    static let role = PluginRole.encoder
    static let parameters: ParameterSchema = [:]

    static func build(_ c: ModelConfiguration, rng: inout SeededGenerator) throws(RPCError) -> Sequential {
        try PrincipalPath.check(window: c.inputSize, interface: c.outputSize)
        return Sequential([PrincipalProjection(windowSize: c.inputSize, rank: c.outputSize, name: "pca")])
    }
}
