import PluginProtocol

/// The recurrent family (`lstm` encoder and decoder). An LSTM over every value of a window
/// is slow (128 steps of BPTT per window), so the window is read as a shorter sequence of
/// `patch_size` channels: consecutive values, or with `spectral` groups of the window's DCT
/// coefficients fed from the highest frequencies to the lowest (the lowest, which carry most
/// of a window, are read last and so are freshest in the state). Then `intermediate_layers`
/// stacked LSTMs (`initial_layer_size` units, tapering by `layer_size_divisor`) and a dense
/// layer from the last state to the interface. The decoder mirrors it: dense to a sequence,
/// LSTMs returning sequences, a per-step dense layer back to `patch_size` values. The original's
/// shapes: `units` per layer, `bidirectional` layers, and a decoder that repeats one dense
/// vector for every step (`repeat_vector`, Keras `RepeatVector`).
public enum LSTMArchitecture {
    public static let schema: ParameterSchema = {
        var s = SequenceFamily.commonSchema(
            initialLayerSize: 48,
            initialDescription:
                "Units of the LSTM next to the window; the next ones taper by layer_size_divisor, never below the interface size.",
            divisorDescription: "Each stacked LSTM has the previous one's units divided by this.",
            intermediateLayers: 1, maxIntermediateLayers: maxLayers,
            layersDescription: "Stacked LSTM layers.",
            activation: .tanh, learningRate: 5e-3,
            spectralDescription:
                "Read the window's orthonormal DCT in groups of patch_size coefficients, highest frequencies first, instead of raw values.",
            spectral: true)
        s["activation"]?.description =
            "Activation of the dense layer that feeds the decoder's LSTM (the LSTM cells use tanh and sigmoid)."
        s["patch_size"] = ParameterSpec(
            .integer, default: .number(0), minimum: 0, maximum: 4096,
            description:
                "Window values per LSTM step: the window is read as ceil(window / patch_size) steps of patch_size channels (zero-padded); at most the window size. 0 derives it as ceil(window / 8): 8 steps."
        )
        s["units"] = ListKnob.spec(
            "Units of each LSTM (encoder: from the window; decoder: from the interface); replaces initial_layer_size, intermediate_layers and layer_size_divisor."
        )
        s["bidirectional"] = ParameterSpec(
            .boolean, default: .bool(false),
            description: "Every LSTM reads the sequence both ways, the two states side by side (Keras Bidirectional, concat).")
        s["repeat_vector"] = ParameterSpec(
            .boolean, default: .bool(false),
            description:
                "Decoder: the dense layer writes one vector of interface size (activation), repeated for every step (Keras RepeatVector), instead of a vector per step."
        )
        return s
    }()

    public static let debugVariables = SequenceFamily.debugVariables(schema)

    /// Steps when `patch_size` is 0 (derived): a window of 128 is read as 8 steps of 16 values.
    static let defaultSteps = 8
    /// Stacked LSTMs at most (as intermediate_layers).
    static let maxLayers = 8

    static func geometry(_ c: ModelConfiguration, window: Int, interface: Int) throws(RPCError) -> (
        steps: Int, patch: Int, units: [Int]
    ) {
        let given = c.integer("patch_size") ?? 0
        let patch = given > 0 ? given : (window + defaultSteps - 1) / defaultSteps
        guard patch <= window else {
            throw .invalidParams("parameter 'patch_size': \(patch) is larger than the window (\(window))")
        }
        let steps = (window + patch - 1) / patch
        if let listed = try ListKnob.integers(c, "units", range: 1...4096) {
            guard listed.count <= maxLayers else {
                throw .invalidParams("parameter 'units': \(listed.count) LSTMs; at most \(maxLayers)")
            }
            return (steps, patch, listed)
        }
        let units = SequenceFamily.tapering(
            count: c.integer("intermediate_layers") ?? 1,
            initial: c.integer("initial_layer_size") ?? 48,
            divisor: c.integer("layer_size_divisor") ?? 2,
            floor: min(interface, c.integer("initial_layer_size") ?? 48))
        return (steps, patch, units)
    }

    /// window -> [DCT, reversed groups] -> LSTM x n (the last keeps only its final state) -> dense -> interface.
    public static func encoder(_ c: ModelConfiguration, rng: inout SeededGenerator) throws(RPCError) -> Sequential {
        let (window, interface) = try SequenceFamily.sizes(c, role: .encoder)
        let (steps, patch, units) = try geometry(c, window: window, interface: interface)
        let spectral = SequenceFamily.spectral(c)
        var layers = SequenceFamily.windowToSequence(
            window: window, steps: steps, channels: patch, spectral: spectral,
            reversed: spectral)
        let bidirectional = c.parameters["bidirectional"]?.boolValue ?? false
        guard !(c.parameters["repeat_vector"]?.boolValue ?? false) else {
            throw .invalidParams("parameter 'repeat_vector': only the decoder repeats a vector; the encoder reads the window")
        }
        var channels = patch
        for (i, u) in units.enumerated() {
            let lstm = LSTM(
                name: "lstm\(i)", inputLength: steps, inputChannels: channels, units: u,
                returnSequences: i < units.count - 1, bidirectional: bidirectional, rng: &rng)
            layers.append(lstm)
            channels = lstm.outputChannels
            layers += SequenceFamily.dropout(c, index: i)
        }
        layers.append(
            Dense(
                inputSize: channels, outputSize: interface,
                activation: try SequenceFamily.activation(c, "interface_activation"), name: "dense", rng: &rng))
        return SequenceFamily.model(layers, c)
    }

    /// interface -> dense to steps x units -> LSTM x n (sequences) -> per-step dense to patch_size -> [inverse DCT] -> window.
    public static func decoder(_ c: ModelConfiguration, rng: inout SeededGenerator) throws(RPCError) -> Sequential {
        let (window, interface) = try SequenceFamily.sizes(c, role: .decoder)
        let (steps, patch, geometryUnits) = try geometry(c, window: window, interface: interface)
        // A `units` list is in the decoder's own order; derived sizes mirror the encoder.
        let listed = !(c.string("units") ?? "").isEmpty
        let units = listed ? geometryUnits : Array(geometryUnits.reversed())
        let bidirectional = c.parameters["bidirectional"]?.boolValue ?? false
        let repeated = c.parameters["repeat_vector"]?.boolValue ?? false
        let act = try SequenceFamily.activation(c)
        let spectral = SequenceFamily.spectral(c)
        // The dense layer writes units[0] channels per step (patch_size channels would make the first
        // LSTM's input projection cheaper, ~15% faster training, but at 64 units measured 1.4e-4 against 9e-5).
        var layers: [any Layer]
        var channels: Int
        if repeated {
            // RepeatVector: up-sampling a sequence of one step to every step.
            layers = [
                Dense(inputSize: interface, outputSize: interface, activation: act, name: "dense", rng: &rng),
                UpSampling1D(inputLength: 1, channels: interface, factor: steps),
            ]
            channels = interface
        } else {
            layers = [
                Dense(
                    inputSize: interface, outputSize: steps * units[0], activation: act,
                    name: "dense", rng: &rng)
            ]
            channels = units[0]
        }
        layers += SequenceFamily.dropout(c, index: 0)
        for (i, u) in units.enumerated() {
            let lstm = LSTM(
                name: "lstm\(i)", inputLength: steps, inputChannels: channels, units: u,
                returnSequences: true, bidirectional: bidirectional, rng: &rng)
            layers.append(lstm)
            channels = lstm.outputChannels
            layers += SequenceFamily.dropout(c, index: i + 1)
        }
        layers.append(
            Conv1D(
                name: "output", inputLength: steps, inputChannels: channels, filters: patch, kernelSize: 1,
                activation: try SequenceFamily.activation(c, "output_activation"), rng: &rng))
        layers += SequenceFamily.sequenceToWindow(
            window: window, steps: steps, channels: patch, spectral: spectral,
            reversed: spectral)
        return SequenceFamily.model(layers, c)
    }
}
