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
