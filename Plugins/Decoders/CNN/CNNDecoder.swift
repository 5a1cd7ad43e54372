import PluginKit
import PluginProtocol

/// 1-D convolutional decoder, the CNN encoder's mirror: interface -> transposed convolutions -> window.
enum CNNDecoder: NeuralNetworkPlugin {
    static let name = "cnn"
    static let version = "1.0.0"
    static let role = PluginRole.decoder
    static let parameters = CNNParameters.schema
    static let debugVariables = CNNParameters.debugVariables

    static func build(_ c: ModelConfiguration, rng: inout SeededGenerator) throws(RPCError) -> Sequential {
        return try PrincipalPath.decoder(CNNParameters.decoder(c, rng: &rng), c)
    }

    /// Adam without L2 of its own: the penalty reaches the kernels only (see `SequenceFamily.model`).
    static func optimizer(_ c: ModelConfiguration) -> Adam { SequenceFamily.optimizer(c) }
}
