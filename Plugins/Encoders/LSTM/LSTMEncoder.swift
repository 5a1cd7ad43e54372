import PluginKit
import PluginProtocol

/// LSTM encoder: the window read as a short sequence of DCT coefficient groups -> LSTM -> linear interface.
enum LSTMEncoder: NeuralNetworkPlugin {
    static let name = "lstm"
    static let version = "1.0.0"
    static let role = PluginRole.encoder
    static let parameters = LSTMParameters.schema
    static let debugVariables = LSTMParameters.debugVariables

    static func build(_ c: ModelConfiguration, rng: inout SeededGenerator) throws(RPCError) -> Sequential {
        return try PrincipalPath.encoder(LSTMParameters.encoder(c, rng: &rng), c)
    }

    /// Adam without L2 of its own: the penalty reaches the kernels only (see `SequenceFamily.model`).
    static func optimizer(_ c: ModelConfiguration) -> Adam { SequenceFamily.optimizer(c) }
}
