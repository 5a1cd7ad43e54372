import PluginProtocol

/// `y = (x - mean) · B`: a window's coordinates in its principal subspace
/// (the optimal linear encoder once fitted). No trainable parameters.
public final class PrincipalProjection: FittableLayer {
    public let state: PrincipalBasis
    private var outputs = OutputBuffers()
    private var shift = Matrix(rows: 0, cols: 0)
    private var gradInput = Matrix(rows: 0, cols: 0)

    public init(windowSize: Int, rank: Int, name: String) {
        state = PrincipalBasis(windowSize: windowSize, rank: rank, name: name)
    }

    public var weights: [Weight] { state.weights }

    public func fit(_ statistics: TrainingStatistics) throws(RPCError) { try state.fit(statistics) }

    public func forward(_ input: Matrix, training: Bool) -> Matrix {
        precondition(
            input.cols == state.windowSize, "PrincipalProjection: input has \(input.cols) columns, expected \(state.windowSize)")
        // mean · B once per call, then subtracted from every row of x · B.
        BLAS.gemm(state.mean.value, transposeA: false, state.basis.value, transposeB: false, into: &shift)
        let basis = state.basis.value, k = state.rank, s = shift
        return outputs.fill(rows: input.rows, cols: k, training: training) { out in
            BLAS.gemm(input, transposeA: false, basis, transposeB: false, into: &out)
            for r in 0..<input.rows { for j in 0..<k { out.values[r * k + j] -= s.values[j] } }
        }
    }

    public func backward(_ gradOutput: Matrix, needInputGradient: Bool) -> Matrix? {
        guard needInputGradient else { return nil }
        BLAS.gemm(gradOutput, transposeA: false, state.basis.value, transposeB: true, into: &gradInput)
        return gradInput
    }
}
