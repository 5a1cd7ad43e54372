/// `y = x ⊙ g`: a trainable per-feature gate, zero at first, so that a branch
/// behind it starts silent and only grows as far as the loss asks for it.
public final class Gate: Layer {
    /// `[1 x size]`, named "\(name).gate".
    public let gate: Weight
    private var cachedInput: Matrix?
    private var outputs = OutputBuffers()
    private var gradInput = Matrix(rows: 0, cols: 0)

    public init(size: Int, name: String) {
        gate = Weight(name: "\(name).gate", value: Matrix(rows: 1, cols: size))
    }

    public var weights: [Weight] { [gate] }

    public func forward(_ input: Matrix, training: Bool) -> Matrix {
        let g = gate.value, n = g.cols
        precondition(input.cols == n, "Gate: input has \(input.cols) columns, expected \(n)")
        if training { cachedInput = input }
        return outputs.fill(rows: input.rows, cols: n, training: training) { out in
            for r in 0..<input.rows { for j in 0..<n { out.values[r * n + j] = input.values[r * n + j] * g.values[j] } }
        }
    }

    public func backward(_ gradOutput: Matrix, needInputGradient: Bool) -> Matrix? {
        guard let input = cachedInput else { preconditionFailure("Gate: backward called before a training forward") }
        let n = gate.value.cols
        for r in 0..<input.rows {
            for j in 0..<n { gate.gradient.values[j] += gradOutput.values[r * n + j] * input.values[r * n + j] }
        }
        guard needInputGradient else { return nil }
        gradInput.reshapeDiscardingContents(rows: input.rows, cols: n)
        for r in 0..<input.rows {
            for j in 0..<n { gradInput.values[r * n + j] = gradOutput.values[r * n + j] * gate.value.values[j] }
        }
        return gradInput
    }
}
