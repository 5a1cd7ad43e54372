import PluginProtocol

/// The attention family (`transformer` encoder and decoder). Attention costs grow with the
/// square of the sequence, so the window is read as ceil(window / patch_size) steps of
/// `patch_size` values (with `spectral`, groups of its DCT coefficients), embedded per step to
/// `initial_layer_size` channels, given sinusoidal positions, then `intermediate_layers`
/// pre-norm transformer blocks (x + attention(norm(x)), x + feed-forward(norm(x)); `heads`
/// heads, `ff_size` hidden units; widths tapering by `layer_size_divisor` with a per-step
/// projection between blocks), and a dense layer from the flattened sequence to the interface.
/// The decoder mirrors it. Pre-norm keeps the residual stream's scale (a window's level) intact.
///
/// The original's shapes: per-block `widths`, `head_counts`, `ff_sizes` and `key_sizes`;
/// `norm=post` blocks (a per-step projection to the block's width, attention, residual only with
/// `attention_residual`, LayerNorm, x + feed-forward, LayerNorm; epsilon 1e-6 as Keras there);
/// `positional_encoding=false`; `readout` (encoder: `average` for global average pooling;
/// decoder: `flatten`, a dense layer from the flattened sequence to the window) and the
/// decoder's `sequence_length`.
public enum TransformerArchitecture {
    public static let schema: ParameterSchema = {
        var s = SequenceFamily.commonSchema(
            initialLayerSize: 32,
            initialDescription: "Model width (channels per step) of the first block; must be a multiple of heads.",
            divisorDescription:
                "Each next block's width is the previous one divided by this (never below heads); each width must be a multiple of heads.",
            intermediateLayers: 1, maxIntermediateLayers: maxBlocks,
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
        s["widths"] = ListKnob.spec(
            "Width of each block (encoder: from the window; decoder: from the interface); replaces initial_layer_size, intermediate_layers and layer_size_divisor."
        )
        s["head_counts"] = ListKnob.spec("Attention heads of each block (one per block); replaces heads.")
        s["ff_sizes"] = ListKnob.spec("Feed-forward hidden units of each block (one per block); replaces ff_size.")
        s["key_sizes"] = ListKnob.spec(
            "Query/key/value size per head in each block (Keras key_dim); empty: the block's width / heads.")
        s["norm"] = ParameterSpec(
            .string, default: .string("pre"), allowed: ["pre", "post"],
            description:
                "pre: x + f(norm(x)) per branch, a projection only where the width changes; post (the original's): every block projects to its width, then norm(x + f(x)) per branch."
        )
        s["attention_residual"] = ParameterSpec(
            .boolean, default: .bool(true),
            description: "With norm=post: the attention branch is residual (the original's encoder had it false).")
        s["positional_encoding"] = ParameterSpec(
            .boolean, default: .bool(true), description: "Add sinusoidal positions to the sequence (the original: none).")
        s["readout"] = ParameterSpec(
            .string, default: .string("auto"), allowed: ["auto", "flatten", "average", "pointwise"],
            description:
                "Encoder: flatten (auto) or average (global average pooling) before the dense layer to the interface; decoder: pointwise (auto; a per-step dense layer to patch_size values) or flatten (a dense layer from the flattened sequence to the window)."
        )
        s["sequence_length"] = ParameterSpec(
            .integer, default: .number(0), minimum: 0, maximum: 4096,
            description:
                "Decoder: steps of the sequence its dense layer writes; 0: the window's steps. Other lengths need readout=flatten."
        )
        return s
    }()

    public static let debugVariables = SequenceFamily.debugVariables(schema)

    /// Steps when `patch_size` is 0 (derived): a window of 128 is read as 16 steps of 8 values.
    static let defaultSteps = 16
    /// Blocks at most (as intermediate_layers).
    static let maxBlocks = 8

    /// One block's sizes; `keySize` nil: width / heads.
    struct Block {
        var width: Int
        var heads: Int
        var ffSize: Int
        var keySize: Int?
    }

    struct Geometry {
        var steps: Int
        var patch: Int
        /// From the window side (encoder) or the interface side (decoder).
        var blocks: [Block]
        var post: Bool
    }

    static func geometry(_ c: ModelConfiguration, window: Int, role: PluginRole) throws(RPCError) -> Geometry {
        let given = c.integer("patch_size") ?? 0
        let patch = given > 0 ? given : (window + defaultSteps - 1) / defaultSteps
        guard patch <= window else {
            throw .invalidParams("parameter 'patch_size': \(patch) is larger than the window (\(window))")
        }
        let heads = c.integer("heads") ?? 4
        let initial = c.integer("initial_layer_size") ?? 32
        let ffSize = c.integer("ff_size") ?? 64
        let listedWidths = try ListKnob.integers(c, "widths", range: 1...4096)
        let widths: [Int]
        if let listedWidths {
            guard listedWidths.count <= maxBlocks else {
                throw .invalidParams("parameter 'widths': \(listedWidths.count) blocks; at most \(maxBlocks)")
            }
            widths = listedWidths  // in the role's own order
        } else {
            let tapering = SequenceFamily.tapering(
                count: c.integer("intermediate_layers") ?? 1, initial: initial,
                divisor: c.integer("layer_size_divisor") ?? 2, floor: min(heads, initial))
            widths = role == .encoder ? tapering : tapering.reversed()
        }
        let reference = listedWidths == nil ? "intermediate_layers" : "widths"
        let headCounts = try ListKnob.matching(
            ListKnob.integers(c, "head_counts", range: 1...64), "head_counts", count: widths.count, reference: reference)
        let ffSizes = try ListKnob.matching(
            ListKnob.integers(c, "ff_sizes", range: 1...16_384), "ff_sizes", count: widths.count, reference: reference)
        let keySizes = try ListKnob.matching(
            ListKnob.integers(c, "key_sizes", range: 1...1024), "key_sizes", count: widths.count, reference: reference)
        var blocks: [Block] = []
        for (i, w) in widths.enumerated() {
            let b = Block(width: w, heads: headCounts?[i] ?? heads, ffSize: ffSizes?[i] ?? ffSize, keySize: keySizes?[i])
            if b.keySize == nil && w % b.heads != 0 {
                let knob = headCounts == nil ? "heads" : "head_counts"
                let which =
                    listedWidths != nil
                    ? "block \(i)'s width \(w)"
                    : i == 0
                        ? "initial_layer_size \(w)" : "block \(i)'s width \(w) (initial_layer_size / layer_size_divisor^\(i))"
                throw .invalidParams("parameter '\(knob)': \(b.heads) heads do not divide \(which); or give key_sizes")
            }
            blocks.append(b)
        }
        return Geometry(
            steps: (window + patch - 1) / patch, patch: patch, blocks: blocks, post: c.string("norm") == "post")
    }

    /// Per-step projection `from -> to` channels (a 1x1 convolution).
    static func pointwise(
        _ name: String, steps: Int, from: Int, to: Int, activation: Activation = .linear, rng: inout SeededGenerator
    ) -> Conv1D {
        Conv1D(name: name, inputLength: steps, inputChannels: from, filters: to, kernelSize: 1, activation: activation, rng: &rng)
    }

    /// One block of `b.width` channels over `steps` steps, read from `channels` channels: pre-norm
    /// (the width must already be `channels`) or post-norm (its own projection first).
    static func block(
        _ name: String, _ b: Block, steps: Int, from channels: Int, post: Bool, _ c: ModelConfiguration,
        dropoutIndex: Int, rng: inout SeededGenerator
    ) throws(RPCError) -> [any Layer] {
        let act = try SequenceFamily.activation(c)
        var layers: [any Layer] = []
        let projection = post ? pointwise("\(name).projection", steps: steps, from: channels, to: b.width, rng: &rng) : nil
        let mhsa = MultiHeadSelfAttention(
            name: "\(name).attention", length: steps, channels: b.width, heads: b.heads, keySize: b.keySize, rng: &rng)
        let ff = PositionwiseFeedForward(
            name: "\(name).ff", length: steps, channels: b.width, hidden: b.ffSize,
            activation: act, rng: &rng)
        let attentionDropout = SequenceFamily.dropout(c, index: 2 * dropoutIndex)
        let ffDropout = SequenceFamily.dropout(c, index: 2 * dropoutIndex + 1)
        if post {
            // The original's block: norm(x + attention(x)) (or norm(attention(x))), then norm(x + ff(x)).
            let attention: [any Layer] = [mhsa] + attentionDropout
            let residual = c.parameters["attention_residual"]?.boolValue ?? true
            if let projection, !residual && channels < b.width {
                // The attention alone reads the projection's output: folded into its maps, the
                // products over all steps read `channels` values instead of the width.
                layers += [ProjectedSelfAttention(projection: projection, attention: mhsa)] + attentionDropout
            } else {
                if let projection { layers.append(projection) }
                layers += residual ? [Residual(Sequential(attention))] : attention
            }
            layers.append(LayerNormalization(name: "\(name).attention_norm", length: steps, channels: b.width, epsilon: 1e-6))
            layers.append(Residual(Sequential([ff] + ffDropout)))
            layers.append(LayerNormalization(name: "\(name).ff_norm", length: steps, channels: b.width, epsilon: 1e-6))
            return layers
        }
        // Each residual branch starts at zero (its output projection zeroed; the random draws
        // are kept, so the stream stays seed-compatible): the block begins as the identity and
        // the model as its linear path, which Adam fits fast, and the branches grow from there.
        mhsa.outputKernel.value.setZero()
        ff.output.weight.value.setZero()
        let attention: [any Layer] =
            [LayerNormalization(name: "\(name).attention_norm", length: steps, channels: b.width), mhsa] + attentionDropout
        let feedForward: [any Layer] =
            [LayerNormalization(name: "\(name).ff_norm", length: steps, channels: b.width), ff] + ffDropout
        return [Residual(Sequential(attention)), Residual(Sequential(feedForward))]
    }

    /// The blocks from `channels` channels: pre-norm adds a projection where the width changes.
    static func blocks(
        _ g: Geometry, steps: Int, from channels: Int, _ c: ModelConfiguration, rng: inout SeededGenerator
    ) throws(RPCError) -> (layers: [any Layer], channels: Int) {
        var layers: [any Layer] = []
        var width = channels
        for (i, b) in g.blocks.enumerated() {
            if !g.post && b.width != width {
                layers.append(pointwise("projection\(i)", steps: steps, from: width, to: b.width, rng: &rng))
            }
            layers += try block("block\(i)", b, steps: steps, from: width, post: g.post, c, dropoutIndex: i, rng: &rng)
            width = b.width
        }
        return (layers, width)
    }

    static func positions(_ c: ModelConfiguration, steps: Int, channels: Int) -> [any Layer] {
        guard c.parameters["positional_encoding"]?.boolValue ?? true else { return [] }
        return [PositionalEncoding(length: steps, channels: channels)]
    }

    /// window -> [DCT] -> steps x patch -> [embedding] -> [positions] -> blocks -> flatten | average -> dense -> interface.
    public static func encoder(_ c: ModelConfiguration, rng: inout SeededGenerator) throws(RPCError) -> Sequential {
        let (window, interface) = try SequenceFamily.sizes(c, role: .encoder)
        let g = try geometry(c, window: window, role: .encoder)
        let readout = c.string("readout") ?? "auto"
        guard readout != "pointwise" else {
            throw .invalidParams("parameter 'readout': pointwise is the decoder's; the encoder reads out by flatten or average")
        }
        guard c.integer("sequence_length") ?? 0 == 0 else {
            throw .invalidParams("parameter 'sequence_length': the encoder's sequence is the window's; only the decoder takes it")
        }
        let spectral = SequenceFamily.spectral(c)
        var layers = SequenceFamily.windowToSequence(window: window, steps: g.steps, channels: g.patch, spectral: spectral)
        var channels = g.patch
        if !g.post {
            channels = g.blocks[0].width
            layers.append(pointwise("embedding", steps: g.steps, from: g.patch, to: channels, rng: &rng))
        }
        layers += positions(c, steps: g.steps, channels: channels)
        let body = try blocks(g, steps: g.steps, from: channels, c, rng: &rng)
        layers += body.layers
        let width = body.channels
        let interfaceActivation = try SequenceFamily.activation(c, "interface_activation")
        if readout == "average" {
            layers.append(AveragePool1D(inputLength: g.steps, channels: width, poolSize: g.steps))  // GlobalAveragePooling1D
            layers.append(
                Dense(inputSize: width, outputSize: interface, activation: interfaceActivation, name: "dense", rng: &rng))
        } else {
            layers.append(
                Dense(
                    inputSize: g.steps * width, outputSize: interface, activation: interfaceActivation, name: "dense", rng: &rng))
        }
        return SequenceFamily.model(layers, c)
    }

    /// interface -> dense to a sequence -> [positions] -> blocks -> per-step dense to patch | flatten, dense -> [inverse DCT] -> window.
    public static func decoder(_ c: ModelConfiguration, rng: inout SeededGenerator) throws(RPCError) -> Sequential {
        let (window, interface) = try SequenceFamily.sizes(c, role: .decoder)
        let g = try geometry(c, window: window, role: .decoder)
        let readout = c.string("readout") ?? "auto"
        guard readout != "average" else {
            throw .invalidParams("parameter 'readout': average is the encoder's; the decoder reads out by pointwise or flatten")
        }
        let steps = (c.integer("sequence_length") ?? 0) > 0 ? c.integer("sequence_length")! : g.steps
        guard readout == "flatten" || steps == g.steps else {
            throw .invalidParams(
                "parameter 'sequence_length': \(steps) steps, but a pointwise readout writes the window's \(g.steps) steps; set readout=flatten"
            )
        }
        let spectral = SequenceFamily.spectral(c)
        let output = try SequenceFamily.activation(c, "output_activation")
        // Pre-norm: a linear dense layer to the first block's width; post-norm (whose blocks
        // project first): to one channel per step, with the activation, as the original.
        let channels = g.post ? 1 : g.blocks[0].width
        var layers: [any Layer] = [
            Dense(
                inputSize: interface, outputSize: steps * channels,
                activation: g.post ? try SequenceFamily.activation(c) : .linear, name: "dense", rng: &rng)
        ]
        layers += positions(c, steps: steps, channels: channels)
        let body = try blocks(g, steps: steps, from: channels, c, rng: &rng)
        layers += body.layers
        if readout == "flatten" {
            layers.append(
                Dense(
                    inputSize: steps * body.channels, outputSize: g.steps * g.patch, activation: output, name: "output", rng: &rng
                ))
        } else {
            layers.append(pointwise("output", steps: steps, from: body.channels, to: g.patch, activation: output, rng: &rng))
        }
        layers += SequenceFamily.sequenceToWindow(window: window, steps: g.steps, channels: g.patch, spectral: spectral)
        return SequenceFamily.model(layers, c)
    }
}
