import PluginKit
import PluginProtocol

/// Principal components plus the largest jumps: PCA of the training windows for
/// the smooth part, then (position, size) pairs of steps picked by matching
/// pursuit. Fitted in closed form; nothing to train.
enum JumpsEncoder: NeuralNetworkPlugin {
    static let name = "jumps"
    static let version = "1.0.0"
    static let role = PluginRole.encoder
    static let parameters = JumpParameters.schema

    static func build(_ c: ModelConfiguration, rng: inout SeededGenerator) throws(RPCError) -> Sequential {
        let jumps = try JumpParameters.jumps(c, window: c.inputSize, interface: c.outputSize)
        return Sequential([JumpEncoding(windowSize: c.inputSize, interfaceSize: c.outputSize, jumps: jumps, name: "jumps")])
    }
}
