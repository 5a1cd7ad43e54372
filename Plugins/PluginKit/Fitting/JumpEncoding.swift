import PluginProtocol

/// The `jumps` encoder: a window's principal coordinates, then `jumps` (position,
/// size) pairs chosen greedily (matching pursuit) from the step dictionary on
/// what the principal part leaves. No trainable parameters; positions are
/// locally constant in the input, so the input gradient flows through the sizes.
public final class JumpEncoding: FittableLayer {
    public let state: JumpDictionary
    private var outputs = OutputBuffers()
    private var gradInput = Matrix(rows: 0, cols: 0)
    /// The steps chosen by the last training forward, `jumps` per row (0-based columns).
    private var chosen: [Int] = []

    public init(windowSize: Int, interfaceSize: Int, jumps: Int, name: String) {
        state = JumpDictionary(windowSize: windowSize, interfaceSize: interfaceSize, jumps: jumps, name: name)
    }

    public var weights: [Weight] { state.weights }
    public func fit(_ statistics: TrainingStatistics) throws(RPCError) { try state.fit(statistics) }

    public func forward(_ input: Matrix, training: Bool) -> Matrix {
        let w = state.windowSize, d = state.components, jumps = state.jumps, k = d + 2 * jumps
        precondition(input.cols == w, "JumpEncoding: input has \(input.cols) columns, expected \(w)")
        let steps = state.currentSteps()
        let p = state.principal.basis.value, mean = state.principal.mean.value
        let rows = input.rows
        // Centred windows, their principal coordinates, and the residual off the basis.
        var residual = Matrix(rows: rows, cols: w)
        for r in 0..<rows { for i in 0..<w { residual.values[r * w + i] = input.values[r * w + i] - mean.values[i] } }
        var coordinates = Matrix(rows: 0, cols: 0)
        BLAS.gemm(residual, transposeA: false, p, transposeB: false, into: &coordinates)
        BLAS.gemm(coordinates, transposeA: false, p, transposeB: true, into: &residual, alpha: -1, beta: 1)
        var picks = [Int](repeating: 0, count: rows * jumps)
        var sizes = [Float](repeating: 0, count: rows * jumps)
        var correlations = Matrix(rows: 0, cols: 0)
        for j in 0..<jumps {
            BLAS.gemm(residual, transposeA: false, steps, transposeB: false, into: &correlations)
            let c = steps.cols
            for r in 0..<rows {
                var best = 0
                for m in 1..<c where abs(correlations.values[r * c + m]) > abs(correlations.values[r * c + best]) { best = m }
                let size = correlations.values[r * c + best]
                picks[r * jumps + j] = best
                sizes[r * jumps + j] = size
                for i in 0..<w { residual.values[r * w + i] -= size * steps.values[i * c + best] }
            }
        }
        if training { chosen = picks }
        return outputs.fill(rows: rows, cols: k, training: training) { out in
            for r in 0..<rows {
                for i in 0..<d { out.values[r * k + i] = coordinates.values[r * d + i] }
                for j in 0..<jumps {
                    out.values[r * k + d + 2 * j] = state.position(ofStep: picks[r * jumps + j] + 1)
                    out.values[r * k + d + 2 * j + 1] = sizes[r * jumps + j]
                }
            }
        }
    }

    /// With the choices fixed: z = Pᵀx̃, r₀ = Q x̃, aⱼ = sⱼᵀ rⱼ₋₁, rⱼ = rⱼ₋₁ − aⱼ sⱼ (all linear in x).
    public func backward(_ gradOutput: Matrix, needInputGradient: Bool) -> Matrix? {
        guard needInputGradient else { return nil }
        let w = state.windowSize, d = state.components, jumps = state.jumps, k = d + 2 * jumps
        let rows = gradOutput.rows
        precondition(chosen.count == rows * jumps, "JumpEncoding: backward needs the training forward of the same batch")
        let steps = state.currentSteps(), c = steps.cols, p = state.principal.basis.value
        var gr = Matrix(rows: rows, cols: w)
        for r in 0..<rows {
            var g = [Float](repeating: 0, count: w)
            for j in stride(from: jumps - 1, through: 0, by: -1) {
                let m = chosen[r * jumps + j]
                var dot: Float = 0
                for i in 0..<w { dot += steps.values[i * c + m] * g[i] }
                let ga = gradOutput.values[r * k + d + 2 * j + 1] - dot
                for i in 0..<w { g[i] += steps.values[i * c + m] * ga }
            }
            for i in 0..<w { gr.values[r * w + i] = g[i] }
        }
        // dL/dx = P g_z + Q g_r₀ = g_r₀ + P (g_z − Pᵀ g_r₀).
        var gz = Matrix(rows: rows, cols: d)
        for r in 0..<rows { for i in 0..<d { gz.values[r * d + i] = gradOutput.values[r * k + i] } }
        BLAS.gemm(gr, transposeA: false, p, transposeB: false, into: &gz, alpha: -1, beta: 1)
        gradInput = gr
        BLAS.gemm(gz, transposeA: false, p, transposeB: true, into: &gradInput, beta: 1)
        return gradInput
    }
}
