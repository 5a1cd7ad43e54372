import PluginKit
import PluginProtocol

/// Fully connected encoder: window -> tapering hidden layers -> interface.
enum ANNEncoder: NeuralNetworkPlugin {
    static let name = "ann"
    static let version = "1.0.0"
    static let role = PluginRole.encoder
    static let parameters = DenseStackParameters.schema
    static let debugVariables = DenseStackParameters.debugVariables

    static func build(_ c: ModelConfiguration, rng: inout SeededGenerator) throws(RPCError) -> Sequential {
        let hidden = DenseStackParameters.hiddenSizes(c, windowSize: c.inputSize, interfaceSize: c.outputSize)
        return try PrincipalPath.encoder(DenseStackParameters.encoder([c.inputSize] + hidden + [c.outputSize], c, rng: &rng), c)
    }
}
