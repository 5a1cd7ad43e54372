import PluginProtocol

/// The convolutional family (`cnn` encoder and decoder): the window as a sequence of one
/// channel, `intermediate_layers` blocks each of a 1-D convolution (`kernel_size`,
/// `initial_layer_size` filters) that shortens the sequence `layer_size_divisor` times (by
/// pooling or its own stride), then a dense layer to the interface. The decoder mirrors it
/// (dense, then transposed convolutions or up-sampling with convolutions, the last of them
/// writing the window's one channel). The list knobs (`filters`, `kernel_sizes`, `pool_sizes`,
/// `dense_sizes`) give every block its own sizes, as the original's plugins did.
public enum CNNArchitecture {
    public static let poolings = ["max", "average", "stride"]

    public static let schema: ParameterSchema = {
        var s = SequenceFamily.commonSchema(
            initialLayerSize: 16,
            initialDescription: "Filters of every convolution.",
            divisorDescription:
                "Each block shortens the sequence this many times (its pooling size or stride); the window must hold layer_size_divisor^intermediate_layers steps.",
            intermediateLayers: 3, maxIntermediateLayers: 12,
            layersDescription: "Convolution blocks between the window and the dense layer at the interface.",
            activation: .tanh, learningRate: 3e-3,
            spectralDescription:
                "Convolve the window's orthonormal DCT instead of the raw window (a fixed layer at the window side). Off by default: convolutions suit the time domain, and on the reference job the DCT input trained far worse.",
            spectral: false)
        s["kernel_size"] = ParameterSpec(
            .integer, default: .number(3), minimum: 1, maximum: 256,
            description: "Width of every convolution kernel (steps); at most the window size.")
        s["pooling"] = ParameterSpec(
            .string, default: .string("stride"), allowed: poolings,
            description:
                "How a block shortens the sequence: max or average pooling after the convolution, or the convolution's own stride (fastest)."
        )
        s["filters"] = ListKnob.spec(
            "Filters of each convolution block (encoder: from the window; decoder: from the interface, ending with 1, the window's channel); sets the number of blocks."
        )
        s["kernel_sizes"] = ListKnob.spec("Kernel width of each block (one per block).")
        s["pool_sizes"] = ListKnob.spec(
            "Encoder: how many times each block shortens the sequence (valid pooling, floor; stride: ceil); decoder: how many times each block up-samples it (1: not). Given, the encoder's window is not padded."
        )
        s["dense_sizes"] = ListKnob.spec(
            "Decoder: dense layers (activation) from the interface, the last one read as a sequence of that many steps of one channel; the blocks must then reach at least the window."
        )
        return s
    }()

    public static let debugVariables = SequenceFamily.debugVariables(schema)

    /// One convolution block: encoder, conv then pooling by `factor`; decoder, up-sampling by
    /// `factor` then conv (with `stride` pooling, a strided or transposed convolution).
    struct Block {
        var filters: Int
        var kernel: Int
        var factor: Int
    }

    /// The checked encoder geometry.
    struct Geometry {
        var blocks: [Block]
        var pooling: String
        /// The window, padded to a multiple of factor^blocks without the list knobs.
        var paddedLength: Int
        /// Sequence length before each block and after the last.
        var lengths: [Int]
    }

    static let filterRange = 1...4096, kernelRange = 1...256, factorRange = 1...64

    /// The blocks the list knobs give (nil when none is set), with `fill` for unset filters.
    static func listedBlocks(_ c: ModelConfiguration, window: Int, fill: (Int, Int) -> Int) throws(RPCError) -> [Block]? {
        let filters = try ListKnob.integers(c, "filters", range: filterRange)
        let kernels = try ListKnob.integers(c, "kernel_sizes", range: kernelRange)
        let factors = try ListKnob.integers(c, "pool_sizes", range: factorRange)
        let named = [("filters", filters), ("kernel_sizes", kernels), ("pool_sizes", factors)]
        guard let (reference, first) = named.first(where: { $0.1 != nil }), let count = first?.count else { return nil }
        let f = try ListKnob.matching(filters, "filters", count: count, reference: reference)
        let k = try ListKnob.matching(kernels, "kernel_sizes", count: count, reference: reference)
        let p = try ListKnob.matching(factors, "pool_sizes", count: count, reference: reference)
        let kernel = c.integer("kernel_size") ?? 3, factor = c.integer("layer_size_divisor") ?? 2
        var blocks: [Block] = []
        for i in 0..<count {
            let b = Block(filters: f?[i] ?? fill(i, count), kernel: k?[i] ?? kernel, factor: p?[i] ?? factor)
            guard b.kernel <= window else {
                throw .invalidParams(
                    "parameter 'kernel_sizes': block \(i)'s kernel \(b.kernel) is longer than the window (\(window))")
            }
            blocks.append(b)
        }
        return blocks
    }

    static func geometry(_ c: ModelConfiguration, window: Int) throws(RPCError) -> Geometry {
        let filters = c.integer("initial_layer_size") ?? 16
        let pooling = c.string("pooling") ?? "stride"
        if let blocks = try listedBlocks(c, window: window, fill: { _, _ in filters }) {
            var lengths = [window]
            let explicitPools = c.string("pool_sizes").map { !$0.isEmpty } ?? false
            if explicitPools {
                // As Keras: valid pooling floors, a strided same convolution rounds up.
                for (i, b) in blocks.enumerated() {
                    let length = lengths[i]
                    guard pooling == "stride" || b.factor <= length else {
                        throw .invalidParams(
                            "parameter 'pool_sizes': block \(i) pools \(b.factor) steps of a sequence of \(length)")
                    }
                    lengths.append(pooling == "stride" ? (length + b.factor - 1) / b.factor : length / b.factor)
                }
                return Geometry(blocks: blocks, pooling: pooling, paddedLength: window, lengths: lengths)
            }
            return try padded(blocks, pooling: pooling, window: window)
        }
        let kernel = c.integer("kernel_size") ?? 3
        let factor = c.integer("layer_size_divisor") ?? 2
        let count = c.integer("intermediate_layers") ?? 3
        guard kernel <= window else {
            throw .invalidParams("parameter 'kernel_size': \(kernel) is longer than the window (\(window))")
        }
        return try padded(
            Array(repeating: Block(filters: filters, kernel: kernel, factor: factor), count: count), pooling: pooling,
            window: window)
    }

    /// The product of the blocks' factors, refused with `message` above the window.
    static func product(of blocks: [Block], window: Int, _ message: @autoclosure () -> String) throws(RPCError) -> Int {
        var total = 1
        for b in blocks {
            let (next, overflow) = total.multipliedReportingOverflow(by: b.factor)
            guard !overflow, next <= window else { throw .invalidParams(message()) }
            total = next
        }
        return total
    }

    /// The geometry with the window padded to a multiple of the factors' product, every block dividing exactly.
    static func padded(_ blocks: [Block], pooling: String, window: Int) throws(RPCError) -> Geometry {
        let total = try product(
            of: blocks, window: window,
            "parameters 'intermediate_layers' and 'layer_size_divisor': \(blocks.count) blocks shortening \(blocks.map(\.factor)) times need a window of at least their product; the window has \(window)"
        )
        var lengths = [(window + total - 1) / total * total]
        for b in blocks { lengths.append(lengths.last! / b.factor) }
        return Geometry(blocks: blocks, pooling: pooling, paddedLength: lengths[0], lengths: lengths)
    }

    /// window -> [DCT] -> blocks of (conv, pool) -> dense -> interface.
    public static func encoder(_ c: ModelConfiguration, rng: inout SeededGenerator) throws(RPCError) -> Sequential {
        let (window, interface) = try SequenceFamily.sizes(c, role: .encoder)
        guard (c.string("dense_sizes") ?? "").isEmpty else {
            throw .invalidParams("parameter 'dense_sizes': only the decoder has dense layers before its blocks")
        }
        let g = try geometry(c, window: window)
        let act = try SequenceFamily.activation(c)
        let spectral = SequenceFamily.spectral(c)
        var layers = SequenceFamily.windowToSequence(window: window, steps: g.paddedLength, channels: 1, spectral: spectral)
        var channels = 1
        for (i, b) in g.blocks.enumerated() {
            let length = g.lengths[i]
            if g.pooling == "stride" {
                layers.append(
                    Conv1D(
                        name: "conv\(i)", inputLength: length, inputChannels: channels, filters: b.filters,
                        kernelSize: b.kernel, stride: b.factor, padding: .same, activation: act, rng: &rng))
            } else {
                layers.append(
                    Conv1D(
                        name: "conv\(i)", inputLength: length, inputChannels: channels, filters: b.filters,
                        kernelSize: b.kernel, padding: .same, activation: act, rng: &rng))
                if b.factor > 1 {
                    layers.append(
                        g.pooling == "max"
                            ? MaxPool1D(inputLength: length, channels: b.filters, poolSize: b.factor) as any Layer
                            : AveragePool1D(inputLength: length, channels: b.filters, poolSize: b.factor))
                }
            }
            channels = b.filters
            layers += SequenceFamily.dropout(c, index: i)
        }
        layers.append(
            Dense(
                inputSize: g.lengths[g.blocks.count] * channels, outputSize: interface,
                activation: try SequenceFamily.activation(c, "interface_activation"), name: "dense", rng: &rng))
        return SequenceFamily.model(layers, c)
    }

    /// The decoder's checked shape: dense layers from the interface, the sequence they make, the blocks.
    struct DecoderPlan {
        var dense: [Int]
        var length: Int
        var channels: Int
        var blocks: [Block]
        var pooling: String
        /// Steps the last block writes (at least the window; the extra ones are dropped).
        var outputLength: Int
    }

    static func decoderPlan(_ c: ModelConfiguration, window: Int) throws(RPCError) -> DecoderPlan {
        let pooling = c.string("pooling") ?? "stride"
        let initial = c.integer("initial_layer_size") ?? 16
        // Bounded as initial_layer_size: at most 4096² weights per dense layer.
        let dense = try ListKnob.integers(c, "dense_sizes", range: 1...4096)
        var plan: DecoderPlan
        if let blocks = try listedBlocks(c, window: window, fill: { i, n in i == n - 1 ? 1 : initial }) {
            guard blocks.last?.filters == 1 else {
                throw .invalidParams(
                    "parameter 'filters': the decoder's last block writes the window's one channel, so the list must end with 1")
            }
            let total = try product(
                of: blocks, window: window,
                "parameter 'pool_sizes': the decoder's blocks up-sample \(blocks.map(\.factor)) times, more than the window (\(window))"
            )
            plan = DecoderPlan(
                dense: [], length: (window + total - 1) / total, channels: blocks[0].filters, blocks: blocks,
                pooling: pooling, outputLength: 0)
            plan.dense = [plan.length * plan.channels]
        } else {
            // The mirror of the encoder; the last block (the mirror of the first) writes the window's one channel.
            let g = try geometry(c, window: window)
            let blocks = g.blocks.reversed().enumerated().map { j, b in
                Block(filters: j == g.blocks.count - 1 ? 1 : b.filters, kernel: b.kernel, factor: b.factor)
            }
            let channels = g.blocks.last!.filters
            plan = DecoderPlan(
                dense: [g.lengths.last! * channels], length: g.lengths.last!, channels: channels, blocks: blocks,
                pooling: pooling, outputLength: 0)
        }
        if let dense {
            plan.dense = dense
            plan.length = dense.last!
            plan.channels = 1
        }
        var length = plan.length
        for b in plan.blocks {
            let (next, overflow) = length.multipliedReportingOverflow(by: b.factor)
            guard !overflow, next <= 64 * window else {
                throw .invalidParams(
                    "parameter 'dense_sizes': a sequence of \(plan.length) steps up-sampled \(plan.blocks.map(\.factor)) times is far longer than the window (\(window))"
                )
            }
            length = next
        }
        guard length >= window else {
            throw .invalidParams(
                "parameters 'dense_sizes' and 'pool_sizes': the decoder's blocks write \(length) steps, fewer than the window (\(window))"
            )
        }
        plan.outputLength = length
        return plan
    }

    /// interface -> dense layers -> blocks of (transposed conv | up-sampling, conv), the last to one channel -> [inverse DCT] -> window.
    public static func decoder(_ c: ModelConfiguration, rng: inout SeededGenerator) throws(RPCError) -> Sequential {
        let (window, interface) = try SequenceFamily.sizes(c, role: .decoder)
        let plan = try decoderPlan(c, window: window)
        let act = try SequenceFamily.activation(c)
        let output = try SequenceFamily.activation(c, "output_activation")
        let spectral = SequenceFamily.spectral(c)
        var layers: [any Layer] = []
        var width = interface
        for (i, size) in plan.dense.enumerated() {
            layers.append(
                Dense(inputSize: width, outputSize: size, activation: act, name: i == 0 ? "dense" : "dense\(i)", rng: &rng))
            width = size
        }
        layers += SequenceFamily.dropout(c, index: 0)
        var length = plan.length, channels = plan.channels
        for (block, b) in plan.blocks.enumerated() {
            let i = plan.blocks.count - 1 - block  // named as the encoder block it mirrors
            let last = i == 0
            let activation = last ? output : act
            if plan.pooling == "stride" {
                layers.append(
                    ConvTranspose1D(
                        name: "deconv\(i)", inputLength: length, inputChannels: channels,
                        filters: b.filters, kernelSize: b.kernel, stride: b.factor, padding: .same,
                        activation: activation, rng: &rng))
            } else {
                if b.factor > 1 {
                    layers.append(UpSampling1D(inputLength: length, channels: channels, factor: b.factor))
                }
                layers.append(
                    Conv1D(
                        name: "conv\(i)", inputLength: length * b.factor, inputChannels: channels,
                        filters: b.filters, kernelSize: b.kernel, padding: .same, activation: activation, rng: &rng))
            }
            length *= b.factor
            channels = b.filters
            if !last { layers += SequenceFamily.dropout(c, index: block + 1) }
        }
        layers += SequenceFamily.sequenceToWindow(window: window, steps: plan.outputLength, channels: 1, spectral: spectral)
        return SequenceFamily.model(layers, c)
    }
}
