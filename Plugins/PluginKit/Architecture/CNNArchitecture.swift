import PluginProtocol

/// The convolutional family (`cnn` encoder and decoder): the window as a sequence of one
/// channel, `intermediate_layers` blocks each of a 1-D convolution (`kernel_size`,
/// `initial_layer_size` filters) that shortens the sequence `layer_size_divisor` times (by
/// pooling or its own stride), then a dense layer to the interface. The decoder mirrors it
/// (dense, then transposed convolutions or up-sampling with convolutions, the last of them
/// writing the window's one channel).
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
        return s
    }()

    public static let debugVariables = SequenceFamily.debugVariables(schema)

    /// The checked geometry: filters, kernel, factor, blocks and the padded window length.
    struct Geometry {
        var filters: Int
        var kernel: Int
        var factor: Int
        var blocks: Int
        var pooling: String
        /// The window padded to a multiple of factor^blocks.
        var paddedLength: Int
        /// Sequence length after each block (index 0: the padded window).
        var lengths: [Int]
    }

    static func geometry(_ c: ModelConfiguration, window: Int) throws(RPCError) -> Geometry {
        let filters = c.integer("initial_layer_size") ?? 16
        let kernel = c.integer("kernel_size") ?? 3
        let factor = c.integer("layer_size_divisor") ?? 2
        let blocks = c.integer("intermediate_layers") ?? 3
        let pooling = c.string("pooling") ?? "stride"
        guard kernel <= window else {
            throw .invalidParams("parameter 'kernel_size': \(kernel) is longer than the window (\(window))")
        }
        var total = 1
        for _ in 0..<blocks {
            let (next, overflow) = total.multipliedReportingOverflow(by: factor)
            guard !overflow, next <= window else {
                throw .invalidParams(
                    "parameters 'intermediate_layers' and 'layer_size_divisor': \(blocks) blocks shortening \(factor) times each need a window of at least \(factor)^\(blocks) steps; the window has \(window)"
                )
            }
            total = next
        }
        let padded = (window + total - 1) / total * total
        var lengths = [padded]
        for _ in 0..<blocks { lengths.append(lengths.last! / factor) }
        return Geometry(
            filters: filters, kernel: kernel, factor: factor, blocks: blocks, pooling: pooling,
            paddedLength: padded, lengths: lengths)
    }

    /// window -> [DCT] -> blocks of (conv, pool) -> dense -> interface.
    public static func encoder(_ c: ModelConfiguration, rng: inout SeededGenerator) throws(RPCError) -> Sequential {
        let (window, interface) = try SequenceFamily.sizes(c, role: .encoder)
        let g = try geometry(c, window: window)
        let act = try SequenceFamily.activation(c)
        let spectral = SequenceFamily.spectral(c)
        var layers = SequenceFamily.windowToSequence(window: window, steps: g.paddedLength, channels: 1, spectral: spectral)
        var channels = 1
        for i in 0..<g.blocks {
            let length = g.lengths[i]
            if g.pooling == "stride" {
                layers.append(
                    Conv1D(
                        name: "conv\(i)", inputLength: length, inputChannels: channels, filters: g.filters,
                        kernelSize: g.kernel, stride: g.factor, padding: .same, activation: act, rng: &rng))
            } else {
                layers.append(
                    Conv1D(
                        name: "conv\(i)", inputLength: length, inputChannels: channels, filters: g.filters,
                        kernelSize: g.kernel, padding: .same, activation: act, rng: &rng))
                if g.factor > 1 {
                    layers.append(
                        g.pooling == "max"
                            ? MaxPool1D(inputLength: length, channels: g.filters, poolSize: g.factor) as any Layer
                            : AveragePool1D(inputLength: length, channels: g.filters, poolSize: g.factor))
                }
            }
            channels = g.filters
            layers += SequenceFamily.dropout(c, index: i)
        }
        layers.append(
            Dense(
                inputSize: g.lengths[g.blocks] * channels, outputSize: interface, activation: .linear,
                name: "dense", rng: &rng))
        return SequenceFamily.model(layers, c)
    }

    /// interface -> dense -> blocks of (transposed conv | up-sampling, conv), the last to one linear channel -> [inverse DCT] -> window.
    public static func decoder(_ c: ModelConfiguration, rng: inout SeededGenerator) throws(RPCError) -> Sequential {
        let (window, interface) = try SequenceFamily.sizes(c, role: .decoder)
        let g = try geometry(c, window: window)
        let act = try SequenceFamily.activation(c)
        let spectral = SequenceFamily.spectral(c)
        var layers: [any Layer] = [
            Dense(
                inputSize: interface, outputSize: g.lengths[g.blocks] * g.filters, activation: act,
                name: "dense", rng: &rng)
        ]
        layers += SequenceFamily.dropout(c, index: 0)
        for block in 0..<g.blocks {
            let i = g.blocks - 1 - block  // mirror of encoder block i
            let length = g.lengths[i + 1]
            // The last block (the mirror of the first) writes the one channel of the window, linear.
            let last = i == 0
            let filters = last ? 1 : g.filters, activation = last ? Activation.linear : act
            if g.pooling == "stride" {
                layers.append(
                    ConvTranspose1D(
                        name: "deconv\(i)", inputLength: length, inputChannels: g.filters,
                        filters: filters, kernelSize: g.kernel, stride: g.factor, padding: .same,
                        activation: activation, rng: &rng))
            } else {
                if g.factor > 1 {
                    layers.append(UpSampling1D(inputLength: length, channels: g.filters, factor: g.factor))
                }
                layers.append(
                    Conv1D(
                        name: "conv\(i)", inputLength: length * g.factor, inputChannels: g.filters,
                        filters: filters, kernelSize: g.kernel, padding: .same, activation: activation, rng: &rng))
            }
            if !last { layers += SequenceFamily.dropout(c, index: block + 1) }
        }
        layers += SequenceFamily.sequenceToWindow(window: window, steps: g.paddedLength, channels: 1, spectral: spectral)
        return SequenceFamily.model(layers, c)
    }
}
