import PluginKit
import PluginProtocol

/// LSTM decoder, the LSTM encoder's mirror: interface -> LSTM over a short sequence -> window.
enum LSTMDecoder: NeuralNetworkPlugin {
    static let name = "lstm"
    static let version = "1.0.0"
    static let role = PluginRole.decoder
    static let parameters = LSTMParameters.schema
    static let debugVariables = LSTMParameters.debugVariables

    static func build(_ c: ModelConfiguration, rng: inout SeededGenerator) throws(RPCError) -> Sequential {
        return try PrincipalPath.decoder(LSTMParameters.decoder(c, rng: &rng), c)
    }

    /// Adam without L2 of its own: the penalty reaches the kernels only (see `SequenceFamily.model`).
    static func optimizer(_ c: ModelConfiguration) -> Adam { SequenceFamily.optimizer(c) }
}
