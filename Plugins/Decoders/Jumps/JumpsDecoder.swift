import PluginKit
import PluginProtocol

/// Rebuilds a window from principal coordinates and (position, size) pairs of
/// steps, as the `jumps` encoder chose them. Fitted in closed form; nothing to train.
enum JumpsDecoder: NeuralNetworkPlugin {
    static let name = "jumps"
    static let version = "1.0.0"
    static let role = PluginRole.decoder
    static let parameters = JumpParameters.schema

    static func build(_ c: ModelConfiguration, rng: inout SeededGenerator) throws(RPCError) -> Sequential {
        let jumps = try JumpParameters.jumps(c, window: c.outputSize, interface: c.inputSize)
        return Sequential([JumpDecoding(interfaceSize: c.inputSize, windowSize: c.outputSize, jumps: jumps, name: "jumps")])
    }
}
