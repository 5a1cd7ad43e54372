/// A differentiable building block of a network.
///
/// Reference semantics (`AnyObject`) because a layer owns mutable caches and
/// reusable buffers between `forward` and `backward`.
public protocol Layer: AnyObject {
    /// Training forward caches what backward needs; inference forward need not.
    func forward(_ input: Matrix, training: Bool) -> Matrix
    /// Backward for the most recent training forward. ADDS weight gradients
    /// (accumulation across calls until the optimiser steps). Returns dL/dinput only when asked.
    func backward(_ gradOutput: Matrix, needInputGradient: Bool) -> Matrix?
    /// The layer's trainable tensors, in a stable order.
    var weights: [Weight] { get }
}

/// A layer that can hand back its input gradient before it adds its parameter gradients
/// (`Sequential.backwardDeferringParameterGradients(_:)`): a decoder answers `backward` with the
/// input gradient the encoder waits for, and adds its own gradients after the answer is written.
public protocol DeferrableBackward: Layer {
    /// dL/dinput exactly as `backward(_:needInputGradient: true)` computes it, and the work that
    /// then adds the parameter gradients exactly as it would have. The work must run before the
    /// layer's next forward or backward (it reads the buffers they reuse).
    func backwardDeferringParameterGradients(_ gradOutput: Matrix) -> (inputGradient: Matrix, addParameterGradients: () -> Void)
}
