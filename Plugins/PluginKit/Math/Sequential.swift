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

    /// Parameter-gradient work put off by `backwardDeferringParameterGradients(_:)`, in layer order from the last.
    private var deferredParameterGradients: [() -> Void] = []

    /// The input gradient, as `backward(_:needInputGradient: true)` computes it, with the parameter
    /// gradients of the last layers, as far back as each can defer them (`DeferrableBackward`),
    /// left to `addDeferredParameterGradients`, which must run before the next forward, backward or
    /// step. Only a run of such layers at the end defers: the work is done before any other layer's
    /// backward (which may add to their gradients, as `KernelL2` does), so every gradient is the
    /// same sum in the same order, bit for bit.
    public func backwardDeferringParameterGradients(_ gradOutput: Matrix) -> Matrix {
        var grad = gradOutput
        var deferring = true
        for layer in layers.reversed() {
            if deferring, let deferrable = layer as? any DeferrableBackward {
                let (g, work) = deferrable.backwardDeferringParameterGradients(grad)
                deferredParameterGradients.append(work)
                grad = g
            } else {
                deferring = false
                addDeferredParameterGradients()
                guard let g = layer.backward(grad, needInputGradient: true) else {
                    preconditionFailure("Sequential: a layer returned no input gradient although asked")
                }
                grad = g
            }
        }
        return grad
    }

    /// Adds the parameter gradients `backwardDeferringParameterGradients(_:)` put off, in the
    /// order the layers' backward passes would have (the same sums, bit for bit).
    public func addDeferredParameterGradients() {
        for work in deferredParameterGradients { work() }
        deferredParameterGradients.removeAll(keepingCapacity: true)
    }

    /// Fits every fittable layer in order (the statistics are of the model's window).
    public func fit(_ statistics: TrainingStatistics) throws(RPCError) {
        for case let layer as any FittableLayer in layers { try layer.fit(statistics) }
    }
}
