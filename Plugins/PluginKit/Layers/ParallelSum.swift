import PluginProtocol

/// Two layers side by side on the same input, outputs added: `y = a(x) + b(x)`.
/// dL/dx is the sum of both input gradients; the parameters are `a`'s then `b`'s.
public final class ParallelSum: FittableLayer {
    public let first: any Layer
    public let second: any Layer
    public var weights: [Weight] { first.weights + second.weights }

    private var outputs = OutputBuffers()
    private var gradInput = Matrix(rows: 0, cols: 0)

    public init(_ first: any Layer, _ second: any Layer) {
        self.first = first
        self.second = second
    }

    public func fit(_ statistics: TrainingStatistics) throws(RPCError) {
        for case let layer as any FittableLayer in [first, second] { try layer.fit(statistics) }
    }

    public func forward(_ input: Matrix, training: Bool) -> Matrix {
        let a = first.forward(input, training: training)
        let b = second.forward(input, training: training)
        precondition(
            a.rows == b.rows && a.cols == b.cols, "ParallelSum: branches give \(a.rows)x\(a.cols) and \(b.rows)x\(b.cols)")
        return outputs.fill(rows: a.rows, cols: a.cols, training: training) { out in
            let n = a.values.count
            a.values.withUnsafeBufferPointer { ap in
                b.values.withUnsafeBufferPointer { bp in
                    out.values.withUnsafeMutableBufferPointer { op in
                        for i in 0..<n { op[i] = ap[i] + bp[i] }
                    }
                }
            }
        }
    }

    public func backward(_ gradOutput: Matrix, needInputGradient: Bool) -> Matrix? {
        let ga = first.backward(gradOutput, needInputGradient: needInputGradient)
        let gb = second.backward(gradOutput, needInputGradient: needInputGradient)
        guard needInputGradient else { return nil }
        guard let ga, let gb, ga.values.count == gb.values.count else {
            preconditionFailure("ParallelSum: a branch returned no input gradient although asked")
        }
        gradInput.reshapeDiscardingContents(rows: ga.rows, cols: ga.cols)
        for i in 0..<ga.values.count { gradInput.values[i] = ga.values[i] + gb.values[i] }
        return gradInput
    }
}
