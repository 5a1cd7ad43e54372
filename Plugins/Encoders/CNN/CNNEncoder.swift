import PluginKit
import PluginProtocol

/// 1-D convolutional encoder: window -> strided convolutions -> linear interface.
enum CNNEncoder: NeuralNetworkPlugin {
    static let name = "cnn"
    static let version = "1.0.0"
    static let role = PluginRole.encoder
    static let parameters = CNNParameters.schema
    static let debugVariables = CNNParameters.debugVariables

    static func build(_ c: ModelConfiguration, rng: inout SeededGenerator) throws(RPCError) -> Sequential {
        return try PrincipalPath.encoder(CNNParameters.encoder(c, rng: &rng), c)
    }

    /// Adam without L2 of its own: the penalty reaches the kernels only (see `SequenceFamily.model`).
    static func optimizer(_ c: ModelConfiguration) -> Adam { SequenceFamily.optimizer(c) }
}
