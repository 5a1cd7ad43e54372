/// Residual connection: `y = x + inner(x)`; `inner` must keep the shape.
/// dL/dx = dL/dy + inner's input gradient; the parameters are `inner`'s.
public final class Residual: Layer {
    public let inner: any Layer
    public var weights: [Weight] { inner.weights }

    private var outputs = OutputBuffers()
    private var trainingShape: (rows: Int, cols: Int)?
    private var gradInput = Matrix(rows: 0, cols: 0)

    public init(_ inner: any Layer) {
        self.inner = inner
    }

    public func forward(_ input: Matrix, training: Bool) -> Matrix {
        precondition(input.isConsistent, "Residual: matrix data count does not match its shape")
        let y = inner.forward(input, training: training)
        precondition(
            y.rows == input.rows && y.cols == input.cols,
            "Residual: the inner layer maps \(input.rows)x\(input.cols) to \(y.rows)x\(y.cols)")
        if training { trainingShape = (input.rows, input.cols) }
        return outputs.fill(rows: input.rows, cols: input.cols, training: training) { out in
            Self.add(input, y, into: &out)
        }
    }

    public func backward(_ gradOutput: Matrix, needInputGradient: Bool) -> Matrix? {
        guard let shape = trainingShape else { preconditionFailure("Residual: backward called before a training forward") }
        precondition(
            gradOutput.rows == shape.rows && gradOutput.cols == shape.cols && gradOutput.isConsistent,
            "Residual: gradient is \(gradOutput.rows)x\(gradOutput.cols), expected \(shape.rows)x\(shape.cols)")
        let innerGrad = inner.backward(gradOutput, needInputGradient: needInputGradient)
        guard needInputGradient else { return nil }
        guard let g = innerGrad else { preconditionFailure("Residual: the inner layer returned no input gradient") }
        gradInput.reshapeDiscardingContents(rows: shape.rows, cols: shape.cols)
        Self.add(gradOutput, g, into: &gradInput)
        return gradInput
    }

    private static func add(_ a: Matrix, _ b: Matrix, into out: inout Matrix) {
        let n = a.values.count
        precondition(b.values.count == n && out.values.count == n, "Residual: sizes differ")
        a.values.withUnsafeBufferPointer { ab in
            b.values.withUnsafeBufferPointer { bb in
                out.values.withUnsafeMutableBufferPointer { ob in
                    guard let ap = ab.baseAddress, let bp = bb.baseAddress, let op = ob.baseAddress else { return }
                    for i in 0..<n { op[i] = ap[i] + bp[i] }
                }
            }
        }
    }
}
