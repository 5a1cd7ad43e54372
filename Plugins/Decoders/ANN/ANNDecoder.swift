import PluginKit
import PluginProtocol

/// Fully connected decoder, the encoder's mirror: interface -> widening hidden layers -> window.
enum ANNDecoder: NeuralNetworkPlugin {
    static let name = "ann"
    static let version = "1.0.0"
    static let role = PluginRole.decoder
    static let parameters = DenseStackParameters.schema
    static let debugVariables = DenseStackParameters.debugVariables

    static func build(_ c: ModelConfiguration, rng: inout SeededGenerator) throws(RPCError) -> Sequential {
        let hidden = DenseStackParameters.hiddenSizes(c, windowSize: c.outputSize, interfaceSize: c.inputSize)
        return try PrincipalPath.decoder(DenseStackParameters.decoder([c.inputSize] + hidden.reversed() + [c.outputSize], c, rng: &rng), c)
    }
}
