import PluginProtocol

/// The original ANN plugins' architecture and its knobs, shared by the bundled encoder and decoder
/// so that the two sides of an autoencoder read the same knobs the same way.
public enum DenseStackArchitecture {
    public static let schema: ParameterSchema = PrincipalPath.schema.merging([
        "intermediate_layers": ParameterSpec(
            .integer, default: .number(1), minimum: 0, maximum: 16,
            description: "Hidden layers between the window and the interface."),
        "initial_layer_size": ParameterSpec(
            .integer, default: .number(0), minimum: 0, maximum: 65_536,
            description: "Width of the widest hidden layer; 0 derives it as window size / layer_size_divisor."),
        "layer_size_divisor": ParameterSpec(
            .integer, default: .number(2), minimum: 1, maximum: 64,
            description: "Each hidden layer is the previous one divided by this, never below the interface size."),
        "activation": ParameterSpec(
            .string, default: .string("tanh"), allowed: Activation.allCases.map(\.rawValue),
            description: "Activation of the hidden layers; the output layer is linear."),
        "learning_rate": ParameterSpec(
            .number, default: .number(3e-3), minimum: 1e-8, maximum: 1,
            description: "Adam step size."),
        "learning_rate_decay": ParameterSpec(
            .number, default: .number(0), minimum: 0, maximum: 1,
            description: "Inverse-time decay of the learning rate per step: lr / (1 + decay * step)."),
        "spectral": ParameterSpec(
            .boolean, default: .bool(true),
            description: "Work on the window's orthonormal DCT (a fixed layer at the window side): faster, steadier training."),
        "l2_reg": ParameterSpec(
            .number, default: .number(0), minimum: 0, maximum: 1,
            description: "L2 penalty added to every weight's gradient."),
    ]) { a, _ in a }

    public static let debugVariables =
        ModelConfiguration.standardDebugVariables + ["intermediate_layers", "activation", "learning_rate"]

    /// Hidden sizes from the window side to the interface side.
    public static func hiddenSizes(_ c: ModelConfiguration, windowSize: Int, interfaceSize: Int) -> [Int] {
        LayerSizes.tapering(
            count: c.integer("intermediate_layers") ?? 1, input: windowSize,
            initial: c.integer("initial_layer_size") ?? 0,
            divisor: c.integer("layer_size_divisor") ?? 2, floor: interfaceSize)
    }

    /// The encoder: optional DCT of the window, then dense layers through `sizes`.
    public static func encoder(_ sizes: [Int], _ c: ModelConfiguration, rng: inout SeededGenerator) throws(RPCError) -> Sequential
    {
        let dense = try stack(sizes, c, rng: &rng)
        guard c.parameters["spectral"]?.boolValue ?? false else { return dense }
        return Sequential([FixedTransform(FixedTransform.dct(sizes[0]))] + dense.layers)
    }

    /// The decoder: dense layers through `sizes`, then the inverse DCT back to the window when spectral.
    public static func decoder(_ sizes: [Int], _ c: ModelConfiguration, rng: inout SeededGenerator) throws(RPCError) -> Sequential
    {
        let dense = try stack(sizes, c, rng: &rng)
        guard c.parameters["spectral"]?.boolValue ?? false, let n = sizes.last else { return dense }
        return Sequential(dense.layers + [FixedTransform(FixedTransform.transpose(FixedTransform.dct(n)))])
    }

    /// Dense layers through `sizes` (input first, output last), hidden ones with the configured activation.
    public static func stack(_ sizes: [Int], _ c: ModelConfiguration, rng: inout SeededGenerator) throws(RPCError) -> Sequential {
        guard let activation = Activation(rawValue: c.string("activation") ?? "tanh") else {
            throw .invalidParams("unknown activation")
        }
        var layers: [any Layer] = []
        for i in 0..<(sizes.count - 1) {
            let last = i == sizes.count - 2
            layers.append(
                Dense(
                    inputSize: sizes[i], outputSize: sizes[i + 1], activation: last ? .linear : activation,
                    name: "dense\(i)", rng: &rng))
        }
        return Sequential(layers)
    }
}
