import PluginProtocol

/// What the sequence families (`cnn`, `lstm`, `transformer`) share: the knobs every one of
/// them declares, the window/interface shapes they accept, the fixed map between the window
/// and the sequence they work on, dropout, and L2 on kernels only.
///
/// Every family reads the window (encoder input, decoder output) as a sequence of `window`
/// steps of one channel, and the interface (encoder output, decoder input) as a flat vector,
/// so any encoder of any family works with any decoder (the ANN's included).
public enum SequenceFamily {
    /// The knobs of every family; a family adds its own and overrides defaults.
    public static func commonSchema(
        initialLayerSize: Int, initialDescription: String, divisorDescription: String,
        intermediateLayers: Int, maxIntermediateLayers: Int, layersDescription: String,
        activation: Activation, learningRate: Double, spectralDescription: String,
        spectral: Bool
    ) -> ParameterSchema {
        [
            "intermediate_layers": ParameterSpec(
                .integer, default: .number(Double(intermediateLayers)), minimum: 1,
                maximum: Double(maxIntermediateLayers), description: layersDescription),
            "initial_layer_size": ParameterSpec(
                .integer, default: .number(Double(initialLayerSize)), minimum: 1,
                maximum: 4096, description: initialDescription),
            "layer_size_divisor": ParameterSpec(
                .integer, default: .number(2), minimum: 1, maximum: 64,
                description: divisorDescription),
            "activation": ParameterSpec(
                .string, default: .string(activation.rawValue), allowed: Activation.allCases.map(\.rawValue),
                description: "Activation of the hidden layers; the layers next to the interface and the window are linear."),
            "learning_rate": ParameterSpec(
                .number, default: .number(learningRate), minimum: 1e-8, maximum: 1,
                description: "Adam step size."),
            "learning_rate_decay": ParameterSpec(
                .number, default: .number(0), minimum: 0, maximum: 1,
                description: "Inverse-time decay of the learning rate per step: lr / (1 + decay * step)."),
            "dropout_rate": ParameterSpec(
                .number, default: .number(0), minimum: 0, maximum: 0.9,
                description: "Dropout after each hidden block while training (0: none)."),
            "l2_reg": ParameterSpec(
                .number, default: .number(0), minimum: 0, maximum: 1,
                description:
                    "L2 penalty on the kernels and weights only (not biases or normalisation): l2_reg * w is added to their gradients."
            ),
            "spectral": ParameterSpec(.boolean, default: .bool(spectral), description: spectralDescription),
            "interface_activation": ParameterSpec(
                .string, default: .string(Activation.linear.rawValue), allowed: Activation.allCases.map(\.rawValue),
                description: "Encoder: activation of the layer that writes the interface (the original's was tanh)."),
            "output_activation": ParameterSpec(
                .string, default: .string(Activation.linear.rawValue), allowed: Activation.allCases.map(\.rawValue),
                description: "Decoder: activation of the layer that writes the window (the original's cnn and lstm: tanh)."),
        ].merging(PrincipalPath.schema) { a, _ in a }
    }

    /// The debug variables: the standard ones and every knob.
    public static func debugVariables(_ schema: ParameterSchema) -> [String] {
        ModelConfiguration.standardDebugVariables + schema.keys.sorted()
    }

    /// Window and interface sizes of a configuration, checked: the window side must be
    /// `[window]` or `[window, 1]` (one channel), the interface side any shape (used flat).
    public static func sizes(_ c: ModelConfiguration, role: PluginRole) throws(RPCError) -> (window: Int, interface: Int) {
        let windowShape = role == .encoder ? c.inputShape : c.outputShape
        let windowName = role == .encoder ? "input_shape" : "output_shape"
        guard windowShape.count == 1 || (windowShape.count == 2 && windowShape[1] == 1) else {
            throw .invalidParams(
                "\(windowName) \(windowShape) is not [window]: this \(role) reads the window as one channel over time")
        }
        let window = windowShape[0]
        let interface = role == .encoder ? c.outputSize : c.inputSize
        guard window >= 2 else { throw .invalidParams("\(windowName) \(windowShape): the window needs at least 2 steps") }
        return (window, interface)
    }

    static func activation(_ c: ModelConfiguration) throws(RPCError) -> Activation {
        guard let a = Activation(rawValue: c.string("activation") ?? "tanh") else {
            throw .invalidParams("parameter 'activation': unknown value")
        }
        return a
    }

    /// The activation knob `name` (`interface_activation`, `output_activation`), linear when unset.
    static func activation(_ c: ModelConfiguration, _ name: String) throws(RPCError) -> Activation {
        let value = c.string(name) ?? Activation.linear.rawValue
        guard let a = Activation(rawValue: value) else {
            throw .invalidParams("parameter '\(name)': unknown activation '\(value.prefix(16))'")
        }
        return a
    }

    static func dropoutRate(_ c: ModelConfiguration) -> Float { Float(c.number("dropout_rate") ?? 0) }

    static func spectral(_ c: ModelConfiguration) -> Bool { c.parameters["spectral"]?.boolValue ?? false }

    /// A dropout layer when the rate is positive (seeded from the configuration, one stream per layer), else nothing.
    static func dropout(_ c: ModelConfiguration, index: Int) -> [any Layer] {
        let rate = dropoutRate(c)
        guard rate > 0 else { return [] }
        return [Dropout(rate: rate, seed: c.seed &+ 0x9E37_79B9 &* UInt64(index + 1))]
    }

    /// The fixed map from a window of `window` values to a sequence of `steps * channels`
    /// values (time-major), `window x (steps * channels)`: the identity (or, `spectral`, the
    /// orthonormal DCT) with the extra columns zero (padding). With `reversed` the groups of
    /// `channels` coefficients come in reverse order (step 0 holds the last group). Its rows are
    /// orthonormal, so its transpose maps a sequence back to the window exactly.
    public static func frame(window: Int, steps: Int, channels: Int, spectral: Bool, reversed: Bool = false) -> Matrix {
        let width = steps * channels
        precondition(width >= window, "frame: \(steps) x \(channels) cannot hold a window of \(window)")
        let dct = spectral ? FixedTransform.dct(window) : Matrix(rows: 0, cols: 0)
        var m = Matrix(rows: window, cols: width)
        for t in 0..<steps {
            let group = reversed ? steps - 1 - t : t
            for ch in 0..<channels {
                let k = group * channels + ch
                guard k < window else { continue }
                for i in 0..<window {
                    m[i, t * channels + ch] = spectral ? dct[i, k] : (i == k ? 1 : 0)
                }
            }
        }
        return m
    }

    /// `frame` as a layer at the window side of an encoder, or nothing when it is the identity.
    static func windowToSequence(window: Int, steps: Int, channels: Int, spectral: Bool, reversed: Bool = false) -> [any Layer] {
        if !spectral && !reversed && steps * channels == window { return [] }
        return [FixedTransform(frame(window: window, steps: steps, channels: channels, spectral: spectral, reversed: reversed))]
    }

    /// The inverse map at the window side of a decoder.
    static func sequenceToWindow(window: Int, steps: Int, channels: Int, spectral: Bool, reversed: Bool = false) -> [any Layer] {
        if !spectral && !reversed && steps * channels == window { return [] }
        return [
            FixedTransform(
                FixedTransform.transpose(
                    frame(
                        window: window, steps: steps, channels: channels,
                        spectral: spectral, reversed: reversed)))
        ]
    }

    /// `layers` with L2 on their kernels: the penalty's gradient is added in backward (once per
    /// backward, as a Keras kernel regulariser adds its term to every batch's loss), so the
    /// optimiser's own L2, which would reach biases too, stays at zero.
    /// Inference (up to 4096 windows a call) runs in chunks of this many rows, so the
    /// sequence layers' buffers (im2col patches, gates, attention) stay small and in cache.
    static let inferenceChunk = 256

    static func model(_ layers: [any Layer], _ c: ModelConfiguration) -> Sequential {
        let l2 = Float(c.number("l2_reg") ?? 0)
        let body = Sequential(layers)
        let kernels = body.weights.filter { p in
            !(p.name.hasSuffix(".bias") || p.name.hasSuffix(".gamma") || p.name.hasSuffix(".beta"))
        }
        let inner = l2 > 0 ? Sequential([KernelL2(kernels, l2: l2)] + layers) : body
        return Sequential([ChunkedInference(inner, rows: inferenceChunk)])
    }

    /// Adam with the plugin's rate and decay and no L2 of its own (see `model`).
    public static func optimizer(_ c: ModelConfiguration) -> Adam {
        let adam = Adam(learningRate: Float(c.number("learning_rate") ?? 1e-3), l2: 0)
        adam.decay = Float(c.number("learning_rate_decay") ?? 0)
        return adam
    }

    /// Hidden sizes tapering from `initial` by `divisor`, never below `floor`.
    static func tapering(count: Int, initial: Int, divisor: Int, floor: Int) -> [Int] {
        LayerSizes.tapering(count: count, input: initial, initial: initial, divisor: divisor, floor: floor)
    }
}

/// The identity, whose backward adds `l2 * w` to the gradient of each of its kernels:
/// the gradient of the penalty `(l2 / 2) * sum(w^2)` over those kernels only.
final class KernelL2: Layer {
    let kernels: [Weight]
    let l2: Float

    init(_ kernels: [Weight], l2: Float) {
        self.kernels = kernels
        self.l2 = l2
    }

    var weights: [Weight] { [] }

    func forward(_ input: Matrix, training: Bool) -> Matrix { input }

    func backward(_ gradOutput: Matrix, needInputGradient: Bool) -> Matrix? {
        let l2 = self.l2
        for p in kernels {
            precondition(p.gradient.values.count == p.value.values.count, "KernelL2: \(p.name) has a gradient of another size")
            p.value.values.withUnsafeBufferPointer { w in
                p.gradient.values.withUnsafeMutableBufferPointer { g in
                    guard let wp = w.baseAddress, let gp = g.baseAddress else { return }
                    for i in 0..<w.count { gp[i] += l2 * wp[i] }
                }
            }
        }
        return needInputGradient ? gradOutput : nil
    }
}

/// `inner`, with inference batches of more than `rows` rows run `rows` at a time (training
/// passes straight through). The output is the same; the inner layers' buffers are sized for
/// `rows`, not for the whole batch.
final class ChunkedInference: Layer {
    let inner: Sequential
    let rows: Int
    private var output = Matrix(rows: 0, cols: 0)

    init(_ inner: Sequential, rows: Int) {
        precondition(rows > 0, "ChunkedInference: rows must be positive")
        self.inner = inner
        self.rows = rows
    }

    var weights: [Weight] { inner.weights }

    func forward(_ input: Matrix, training: Bool) -> Matrix {
        guard !training, input.rows > rows else { return inner.forward(input, training: training) }
        precondition(input.isConsistent, "ChunkedInference: matrix data count does not match its shape")
        let cols = input.cols
        var chunk = Matrix(rows: 0, cols: 0)
        var start = 0
        while start < input.rows {
            let n = min(rows, input.rows - start)
            chunk.reshapeDiscardingContents(rows: n, cols: cols)
            input.values.withUnsafeBufferPointer { src in
                chunk.values.withUnsafeMutableBufferPointer { dst in
                    dst.baseAddress!.update(from: src.baseAddress! + start * cols, count: n * cols)
                }
            }
            let y = inner.forward(chunk, training: false)
            precondition(y.rows == n && y.isConsistent, "ChunkedInference: the inner model returned \(y.rows) rows for \(n)")
            if start == 0 { output.reshapeDiscardingContents(rows: input.rows, cols: y.cols) }
            precondition(y.cols == output.cols, "ChunkedInference: output width changed between chunks")
            let width = y.cols
            y.values.withUnsafeBufferPointer { src in
                output.values.withUnsafeMutableBufferPointer { dst in
                    (dst.baseAddress! + start * width).update(from: src.baseAddress!, count: n * width)
                }
            }
            start += n
        }
        return output
    }

    func backward(_ gradOutput: Matrix, needInputGradient: Bool) -> Matrix? {
        inner.backward(gradOutput, needInputGradient: needInputGradient)
    }
}
