/// Inverted dropout: in a training forward each element is kept with probability
/// `1 - rate` and scaled by `1 / (1 - rate)`, else zeroed; inference (and `rate == 0`)
/// is the identity. Shape-agnostic (any `batch x n` input).
///
/// The mask is drawn from a `SeededGenerator(seed:)` owned by the layer, a fresh mask
/// per training forward, so a run is reproducible from the seed. Backward applies the
/// mask of the latest training forward.
public final class Dropout: Layer {
    public let rate: Float
    public var weights: [Weight] { [] }

    private var rng: SeededGenerator
    /// 0 or 1 / (1 - rate) per element of the latest training forward.
    private var mask = [Float]()
    private var trainingShape: (rows: Int, cols: Int)?
    private var outputs = OutputBuffers()
    private var gradInput = Matrix(rows: 0, cols: 0)

    public init(rate: Float, seed: UInt64) {
        precondition(rate >= 0 && rate < 1, "Dropout: rate must lie in [0, 1)")
        self.rate = rate
        self.rng = SeededGenerator(seed: seed)
    }

    public func forward(_ input: Matrix, training: Bool) -> Matrix {
        precondition(input.isConsistent, "Dropout: matrix data count does not match its shape")
        guard training else { return input }
        trainingShape = (input.rows, input.cols)
        guard rate > 0 else { return input }
        let n = input.values.count
        if mask.count != n { mask = [Float](repeating: 0, count: n) }
        let keep = 1 - rate, scale = 1 / (1 - rate)
        mask.withUnsafeMutableBufferPointer { mb in
            guard let m = mb.baseAddress else { return }
            // nextFloat is uniform on [0, 1) (a 2^-24 grid): kept when below 1 - rate.
            for i in 0..<n { m[i] = rng.nextFloat() < keep ? scale : 0 }
        }
        return outputs.fill(rows: input.rows, cols: input.cols, training: true) { out in
            Self.multiply(input, mask, into: &out)
        }
    }

    public func backward(_ gradOutput: Matrix, needInputGradient: Bool) -> Matrix? {
        guard let shape = trainingShape else { preconditionFailure("Dropout: backward called before a training forward") }
        precondition(
            gradOutput.rows == shape.rows && gradOutput.cols == shape.cols && gradOutput.isConsistent,
            "Dropout: gradient is \(gradOutput.rows)x\(gradOutput.cols), expected \(shape.rows)x\(shape.cols)")
        guard needInputGradient else { return nil }
        guard rate > 0 else { return gradOutput }
        gradInput.reshapeDiscardingContents(rows: shape.rows, cols: shape.cols)
        Self.multiply(gradOutput, mask, into: &gradInput)
        return gradInput
    }

    private static func multiply(_ x: Matrix, _ mask: [Float], into out: inout Matrix) {
        let n = x.values.count
        precondition(mask.count == n && out.values.count == n, "Dropout: sizes differ")
        x.values.withUnsafeBufferPointer { xb in
            mask.withUnsafeBufferPointer { mb in
                out.values.withUnsafeMutableBufferPointer { ob in
                    guard let xp = xb.baseAddress, let mp = mb.baseAddress, let op = ob.baseAddress else { return }
                    for i in 0..<n { op[i] = xp[i] * mp[i] }
                }
            }
        }
    }
}
