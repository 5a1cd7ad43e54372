import PluginKit
import PluginProtocol

/// Transformer encoder: the window as a sequence of patches -> pre-norm attention blocks -> linear interface.
enum TransformerEncoder: NeuralNetworkPlugin {
    static let name = "transformer"
    static let version = "1.0.0"
    static let role = PluginRole.encoder
    static let parameters = TransformerParameters.schema
    static let debugVariables = TransformerParameters.debugVariables

    static func build(_ c: ModelConfiguration, rng: inout SeededGenerator) throws(RPCError) -> Sequential {
        return try PrincipalPath.encoder(TransformerParameters.encoder(c, rng: &rng), c)
    }

    /// Adam without L2 of its own: the penalty reaches the kernels only (see `SequenceFamily.model`).
    static func optimizer(_ c: ModelConfiguration) -> Adam { SequenceFamily.optimizer(c) }
}
