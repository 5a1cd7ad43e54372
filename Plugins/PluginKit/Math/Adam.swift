/// Adam optimiser (Kingma & Ba), in the form Keras implements it.
///
/// Per step t, with g = gradient + l2 * value:
///     m = β1·m + (1-β1)·g
///     v = β2·v + (1-β2)·g²
///     value -= lr_t · m / (sqrt(v) + ε),   lr_t = lr · sqrt(1-β2^t) / (1-β1^t)
/// The bias correction is folded into lr_t (Keras / TF `Adam`), so ε acts on the
/// uncorrected sqrt(v); the paper's per-element m̂ / (sqrt(v̂) + ε) differs only
/// in ε's effective scale. The default ε = 1e-7 is also the Keras default.
///
/// The L2 term `l2 * value` is the gradient of the loss term (l2/2)·‖value‖²;
/// a Keras `regularizers.l2(λ)` (loss λ·‖w‖²) corresponds to `l2: 2λ`. It is
/// applied to every weight handed to `step`, biases included.
public final class Adam {
    public var learningRate: Float
    public let beta1: Float
    public let beta2: Float
    public let epsilon: Float
    public let l2: Float
    public private(set) var stepCount: Int = 0
    /// Inverse-time decay, as Keras's legacy `decay`: step t uses `learningRate / (1 + decay * t)`.
    /// Late steps then move less, which lowers the noise floor that a constant rate leaves.
    public var decay: Float = 0

    /// β^t kept as running products in Double: exact enough, and pure
    /// arithmetic rather than libm `pow`, so it is identical on every platform.
    private var beta1Power: Double = 1
    private var beta2Power: Double = 1

    /// Moment estimates per weight. The state holds the weight strongly, so
    /// its ObjectIdentifier cannot be recycled by a new object while the entry exists.
    private final class Moments {
        let weight: Weight
        var m: [Float]
        var v: [Float]
        init(_ weight: Weight) {
            self.weight = weight
            m = [Float](repeating: 0, count: weight.value.values.count)
            v = m
        }
    }
    private var moments: [ObjectIdentifier: Moments] = [:]

    public init(learningRate: Float, beta1: Float = 0.9, beta2: Float = 0.999, epsilon: Float = 1e-7, l2: Float = 0) {
        precondition(beta1 >= 0 && beta1 < 1 && beta2 >= 0 && beta2 < 1, "Adam: betas must lie in [0, 1)")
        precondition(epsilon >= 0 && l2 >= 0, "Adam: epsilon and l2 must be non-negative")
        self.learningRate = learningRate
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
        self.l2 = l2
    }

    /// Applies one bias-corrected Adam update to every weight, then zeros their
    /// gradients (fused into the same pass). Pass each weight once per step.
    public func step(_ weights: [Weight]) {
        stepCount += 1
        beta1Power *= Double(beta1)
        beta2Power *= Double(beta2)
        let rate = Double(learningRate) / (1 + Double(decay) * Double(stepCount - 1))
        let lrT = Float(rate * (1 - beta2Power).squareRoot() / (1 - beta1Power))
        let b1 = beta1, b2 = beta2, c1 = 1 - beta1, c2 = 1 - beta2, eps = epsilon, decay = l2

        for p in weights where p.trainable {
            precondition(
                p.gradient.rows == p.value.rows && p.gradient.cols == p.value.cols
                    && p.value.isConsistent && p.gradient.isConsistent,
                "Adam: weight \(p.name) has a gradient of a different shape")
            let state: Moments
            if let existing = moments[ObjectIdentifier(p)] {
                state = existing
            } else {
                state = Moments(p)
                moments[ObjectIdentifier(p)] = state
            }
            let n = p.value.values.count
            precondition(state.m.count == n, "Adam: weight \(p.name) changed size between steps")

            p.value.values.withUnsafeMutableBufferPointer { wBuf in
                p.gradient.values.withUnsafeMutableBufferPointer { gBuf in
                    state.m.withUnsafeMutableBufferPointer { mBuf in
                        state.v.withUnsafeMutableBufferPointer { vBuf in
                            guard let w = wBuf.baseAddress, let g = gBuf.baseAddress,
                                let m = mBuf.baseAddress, let v = vBuf.baseAddress
                            else { return }
                            Adam.update(
                                w, g, m, v, count: n,
                                Constants(b1: b1, b2: b2, c1: c1, c2: c2, eps: eps, l2: decay, rate: lrT))
                        }
                    }
                }
            }
        }
    }

    private struct Constants {
        let b1, b2, c1, c2, eps, l2, rate: Float
    }

    /// The update of one weight's `count` values, 8 lanes at a time: the compiler did not
    /// vectorise the scalar loop (it cannot prove the four buffers apart), and this was a tenth
    /// of a training batch's time. Every lane computes exactly the scalar expression, in the
    /// same order and without fused multiply-adds, so results do not change by a bit.
    private static func update(
        _ w: UnsafeMutablePointer<Float>, _ g: UnsafeMutablePointer<Float>, _ m: UnsafeMutablePointer<Float>,
        _ v: UnsafeMutablePointer<Float>, count n: Int, _ k: Constants
    ) {
        typealias Lanes = SIMD8<Float>
        var i = 0
        while i + Lanes.scalarCount <= n {
            let wi = UnsafeRawPointer(w + i).loadUnaligned(as: Lanes.self)
            let gi = UnsafeRawPointer(g + i).loadUnaligned(as: Lanes.self) + k.l2 * wi
            let mi = k.b1 * UnsafeRawPointer(m + i).loadUnaligned(as: Lanes.self) + k.c1 * gi
            let vi = k.b2 * UnsafeRawPointer(v + i).loadUnaligned(as: Lanes.self) + k.c2 * gi * gi
            UnsafeMutableRawPointer(m + i).storeBytes(of: mi, as: Lanes.self)
            UnsafeMutableRawPointer(v + i).storeBytes(of: vi, as: Lanes.self)
            UnsafeMutableRawPointer(w + i).storeBytes(of: wi - k.rate * mi / (vi.squareRoot() + k.eps), as: Lanes.self)
            UnsafeMutableRawPointer(g + i).storeBytes(of: Lanes(repeating: 0), as: Lanes.self)
            i += Lanes.scalarCount
        }
        while i < n {
            let gi = g[i] + k.l2 * w[i]
            let mi = k.b1 * m[i] + k.c1 * gi
            let vi = k.b2 * v[i] + k.c2 * gi * gi
            m[i] = mi
            v[i] = vi
            w[i] -= k.rate * mi / (vi.squareRoot() + k.eps)
            g[i] = 0
            i += 1
        }
    }
}
