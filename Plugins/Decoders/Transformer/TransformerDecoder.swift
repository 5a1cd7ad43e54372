import PluginKit
import PluginProtocol

/// Transformer decoder, the transformer encoder's mirror: interface -> attention blocks over patches -> window.
enum TransformerDecoder: NeuralNetworkPlugin {
    static let name = "transformer"
    static let version = "1.0.0"
    static let role = PluginRole.decoder
    static let parameters = TransformerParameters.schema
    static let debugVariables = TransformerParameters.debugVariables

    static func build(_ c: ModelConfiguration, rng: inout SeededGenerator) throws(RPCError) -> Sequential {
        return try PrincipalPath.decoder(TransformerParameters.decoder(c, rng: &rng), c)
    }

    /// Adam without L2 of its own: the penalty reaches the kernels only (see `SequenceFamily.model`).
    static func optimizer(_ c: ModelConfiguration) -> Adam { SequenceFamily.optimizer(c) }
}
