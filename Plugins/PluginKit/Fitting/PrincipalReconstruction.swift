import PluginProtocol

/// `y = z · Bᵀ + mean`: a window rebuilt from its principal coordinates (the
/// optimal linear decoder once fitted). No trainable parameters.
public final class PrincipalReconstruction: FittableLayer {
    public let state: PrincipalBasis
    private var outputs = OutputBuffers()
    private var gradInput = Matrix(rows: 0, cols: 0)

    public init(rank: Int, windowSize: Int, name: String) {
        state = PrincipalBasis(windowSize: windowSize, rank: rank, name: name)
    }

    public var weights: [Weight] { state.weights }

    public func fit(_ statistics: TrainingStatistics) throws(RPCError) { try state.fit(statistics) }

    public func forward(_ input: Matrix, training: Bool) -> Matrix {
        precondition(input.cols == state.rank, "PrincipalReconstruction: input has \(input.cols) columns, expected \(state.rank)")
        let basis = state.basis.value, mean = state.mean.value, w = state.windowSize
        return outputs.fill(rows: input.rows, cols: w, training: training) { out in
            BLAS.gemm(input, transposeA: false, basis, transposeB: true, into: &out)
            for r in 0..<input.rows { for j in 0..<w { out.values[r * w + j] += mean.values[j] } }
        }
    }

    public func backward(_ gradOutput: Matrix, needInputGradient: Bool) -> Matrix? {
        guard needInputGradient else { return nil }
        BLAS.gemm(gradOutput, transposeA: false, state.basis.value, transposeB: false, into: &gradInput)
        return gradInput
    }
}
