import PluginProtocol

/// A chain of layers applied in order; itself a `Layer`, so encoders and
/// decoders can be nested or trained end to end.
public final class Sequential: FittableLayer {
    public var layers: [any Layer]

    public init(_ layers: [any Layer]) {
        self.layers = layers
    }

    /// All weights, layer by layer in order (stable, so their names key the saved state).
    public var weights: [Weight] { layers.flatMap { $0.weights } }

    /// Total number of trainable scalars (fitted state is not counted).
    public var weightCount: Int {
        weights.reduce(0) { $0 + ($1.trainable ? $1.value.count : 0) }
    }

    /// Clears every accumulated gradient in place.
    public func zeroGradients() {
        for p in weights { p.zeroGradient() }
    }

    public func forward(_ input: Matrix, training: Bool) -> Matrix {
        var x = input
        for layer in layers {
            // Reassigning `x` drops the previous activation right away, so each
            // layer's buffers stay uniquely referenced and are reused in place.
            x = layer.forward(x, training: training)
        }
        return x
    }

    /// Every layer but the first must produce an input gradient for the layer
    /// before it; the first one only does when the caller asks (e.g. a decoder
    /// feeding the gradient back into its encoder).
    public func backward(_ gradOutput: Matrix, needInputGradient: Bool) -> Matrix? {
        var grad = gradOutput
        var index = layers.count - 1
        while index >= 0 {
            let need = index > 0 || needInputGradient
            let result = layers[index].backward(grad, needInputGradient: need)
            if need {
                guard let g = result else {
                    preconditionFailure("Sequential: layer \(index) returned no input gradient although asked")
                }
                grad = g
            }
            index -= 1
        }
        return needInputGradient ? grad : nil
    }

    /// Fits every fittable layer in order (the statistics are of the model's window).
    public func fit(_ statistics: TrainingStatistics) throws(RPCError) {
        for case let layer as any FittableLayer in layers { try layer.fit(statistics) }
    }
}
