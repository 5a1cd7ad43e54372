import PluginProtocol

/// The attention family (`transformer` encoder and decoder). Attention costs grow with the
/// square of the sequence, so the window is read as ceil(window / patch_size) steps of
/// `patch_size` values (with `spectral`, groups of its DCT coefficients), embedded per step to
/// `initial_layer_size` channels, given sinusoidal positions, then `intermediate_layers`
/// pre-norm transformer blocks (x + attention(norm(x)), x + feed-forward(norm(x)); `heads`
/// heads, `ff_size` hidden units; widths tapering by `layer_size_divisor` with a per-step
/// projection between blocks), and a dense layer from the flattened sequence to the interface.
/// The decoder mirrors it. Pre-norm keeps the residual stream's scale (a window's level) intact.
public enum TransformerArchitecture {
    public static let schema: ParameterSchema = {
        var s = SequenceFamily.commonSchema(
            initialLayerSize: 32,
            initialDescription: "Model width (channels per step) of the first block; must be a multiple of heads.",
            divisorDescription:
                "Each next block's width is the previous one divided by this (never below heads); each width must be a multiple of heads.",
            intermediateLayers: 1, maxIntermediateLayers: 8,
            layersDescription: "Transformer blocks (self-attention and feed-forward, each residual with layer normalisation).",
            activation: .relu, learningRate: 5e-3,
            spectralDescription: "Read the window's orthonormal DCT in groups of patch_size coefficients instead of raw values.",
            spectral: true)
        s["activation"]?.description = "Activation of the feed-forward blocks' hidden layer."
        s["heads"] = ParameterSpec(
            .integer, default: .number(4), minimum: 1, maximum: 64,
            description: "Attention heads per block; must divide every block's width.")
        s["ff_size"] = ParameterSpec(
            .integer, default: .number(64), minimum: 1, maximum: 16_384,
            description: "Hidden units of each block's position-wise feed-forward network.")
        s["patch_size"] = ParameterSpec(
            .integer, default: .number(0), minimum: 0, maximum: 4096,
            description:
                "Window values per attention step: the window is read as ceil(window / patch_size) steps (zero-padded); at most the window size. 0 derives it as ceil(window / 16): 16 steps."
        )
        return s
    }()

    public static let debugVariables = SequenceFamily.debugVariables(schema)

    /// Steps when `patch_size` is 0 (derived): a window of 128 is read as 16 steps of 8 values.
    static let defaultSteps = 16

    struct Geometry {
        var steps: Int
        var patch: Int
        var heads: Int
        var ffSize: Int
        var widths: [Int]
    }

    static func geometry(_ c: ModelConfiguration, window: Int) throws(RPCError) -> Geometry {
        let given = c.integer("patch_size") ?? 0
        let patch = given > 0 ? given : (window + defaultSteps - 1) / defaultSteps
        guard patch <= window else {
            throw .invalidParams("parameter 'patch_size': \(patch) is larger than the window (\(window))")
        }
        let heads = c.integer("heads") ?? 4
        let initial = c.integer("initial_layer_size") ?? 32
        let widths = SequenceFamily.tapering(
            count: c.integer("intermediate_layers") ?? 1, initial: initial,
            divisor: c.integer("layer_size_divisor") ?? 2, floor: min(heads, initial))
        for (i, w) in widths.enumerated() where w % heads != 0 {
            let which =
                i == 0 ? "initial_layer_size \(w)" : "block \(i)'s width \(w) (initial_layer_size / layer_size_divisor^\(i))"
            throw .invalidParams("parameter 'heads': \(heads) heads do not divide \(which)")
        }
        return Geometry(
            steps: (window + patch - 1) / patch, patch: patch, heads: heads,
            ffSize: c.integer("ff_size") ?? 64, widths: widths)
    }

    /// Per-step projection `from -> to` channels (a 1x1 convolution).
    static func pointwise(_ name: String, steps: Int, from: Int, to: Int, rng: inout SeededGenerator) -> any Layer {
        Conv1D(name: name, inputLength: steps, inputChannels: from, filters: to, kernelSize: 1, activation: .linear, rng: &rng)
    }

    /// One pre-norm block of width `width`.
    static func block(
        _ name: String, _ g: Geometry, width: Int, _ c: ModelConfiguration, dropoutIndex: Int,
        rng: inout SeededGenerator
    ) throws(RPCError) -> [any Layer] {
        let act = try SequenceFamily.activation(c)
        let mhsa = MultiHeadSelfAttention(name: "\(name).attention", length: g.steps, channels: width, heads: g.heads, rng: &rng)
        let ff = PositionwiseFeedForward(
            name: "\(name).ff", length: g.steps, channels: width, hidden: g.ffSize,
            activation: act, rng: &rng)
        // Each residual branch starts at zero (its output projection zeroed; the random draws
        // are kept, so the stream stays seed-compatible): the block begins as the identity and
        // the model as its linear path, which Adam fits fast, and the branches grow from there.
        mhsa.outputKernel.value.setZero()
        ff.output.weight.value.setZero()
        let attention: [any Layer] =
            [LayerNormalization(name: "\(name).attention_norm", length: g.steps, channels: width), mhsa]
            + SequenceFamily.dropout(c, index: 2 * dropoutIndex)
        let feedForward: [any Layer] =
            [LayerNormalization(name: "\(name).ff_norm", length: g.steps, channels: width), ff]
            + SequenceFamily.dropout(c, index: 2 * dropoutIndex + 1)
        return [Residual(Sequential(attention)), Residual(Sequential(feedForward))]
    }

    /// window -> [DCT] -> steps x patch -> embedding -> positions -> blocks -> dense -> interface.
    public static func encoder(_ c: ModelConfiguration, rng: inout SeededGenerator) throws(RPCError) -> Sequential {
        let (window, interface) = try SequenceFamily.sizes(c, role: .encoder)
        let g = try geometry(c, window: window)
        let spectral = SequenceFamily.spectral(c)
        var layers = SequenceFamily.windowToSequence(window: window, steps: g.steps, channels: g.patch, spectral: spectral)
        layers.append(pointwise("embedding", steps: g.steps, from: g.patch, to: g.widths[0], rng: &rng))
        layers.append(PositionalEncoding(length: g.steps, channels: g.widths[0]))
        var width = g.widths[0]
        for (i, w) in g.widths.enumerated() {
            if w != width {
                layers.append(pointwise("projection\(i)", steps: g.steps, from: width, to: w, rng: &rng))
                width = w
            }
            layers += try block("block\(i)", g, width: w, c, dropoutIndex: i, rng: &rng)
        }
        layers.append(Dense(inputSize: g.steps * width, outputSize: interface, activation: .linear, name: "dense", rng: &rng))
        return SequenceFamily.model(layers, c)
    }

    /// interface -> dense to steps x width -> positions -> blocks -> per-step dense to patch -> [inverse DCT] -> window.
    public static func decoder(_ c: ModelConfiguration, rng: inout SeededGenerator) throws(RPCError) -> Sequential {
        let (window, interface) = try SequenceFamily.sizes(c, role: .decoder)
        let g = try geometry(c, window: window)
        let spectral = SequenceFamily.spectral(c)
        let widths = Array(g.widths.reversed())
        var width = widths[0]
        var layers: [any Layer] = [
            Dense(
                inputSize: interface, outputSize: g.steps * width, activation: .linear,
                name: "dense", rng: &rng),
            PositionalEncoding(length: g.steps, channels: width),
        ]
        for (i, w) in widths.enumerated() {
            if w != width {
                layers.append(pointwise("projection\(i)", steps: g.steps, from: width, to: w, rng: &rng))
                width = w
            }
            layers += try block("block\(i)", g, width: w, c, dropoutIndex: i, rng: &rng)
        }
        layers.append(pointwise("output", steps: g.steps, from: width, to: g.patch, rng: &rng))
        layers += SequenceFamily.sequenceToWindow(window: window, steps: g.steps, channels: g.patch, spectral: spectral)
        return SequenceFamily.model(layers, c)
    }
}
