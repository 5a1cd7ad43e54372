import PluginProtocol

/// The `jumps` decoder: `mean + P z + Σ sizeⱼ · step(positionⱼ)`, where a position
/// between two steps blends them smoothly (so any encoder's features decode, and
/// the position has a gradient). No trainable parameters.
public final class JumpDecoding: FittableLayer {
    public let state: JumpDictionary
    private var outputs = OutputBuffers()
    private var gradInput = Matrix(rows: 0, cols: 0)
    private var cachedInput: Matrix?

    public init(interfaceSize: Int, windowSize: Int, jumps: Int, name: String) {
        state = JumpDictionary(windowSize: windowSize, interfaceSize: interfaceSize, jumps: jumps, name: name)
    }

    public var weights: [Weight] { state.weights }
    public func fit(_ statistics: TrainingStatistics) throws(RPCError) { try state.fit(statistics) }

    /// The two neighbouring steps (0-based columns) a position blends, the weight of the
    /// second, and that weight's derivative by the step index. The weight is a smoothstep
    /// (3f² − 2f³): exact at whole steps (what the encoder gives) and smooth everywhere,
    /// with a zero slope at whole steps and at the clamped ends, so no position sits at a kink.
    private func blend(_ position: Float) -> (low: Int, high: Int, weight: Float, slope: Float) {
        let w = state.windowSize
        guard w > 2 else { return (0, 0, 0, 0) }
        let x = min(max((position + 1) * Float(w / 2), 1), Float(w - 1))
        let low = min(Int(x.rounded(.down)), w - 2)
        let f = x - Float(low)
        return (low - 1, low, f * f * (3 - 2 * f), 6 * f * (1 - f))
    }

    public func forward(_ input: Matrix, training: Bool) -> Matrix {
        let w = state.windowSize, d = state.components, jumps = state.jumps, k = d + 2 * jumps
        precondition(input.cols == k, "JumpDecoding: input has \(input.cols) columns, expected \(k)")
        if training { cachedInput = input }
        let steps = state.currentSteps(), c = steps.cols
        let p = state.principal.basis.value, mean = state.principal.mean.value
        var z = Matrix(rows: input.rows, cols: d)
        for r in 0..<input.rows { for i in 0..<d { z.values[r * d + i] = input.values[r * k + i] } }
        return outputs.fill(rows: input.rows, cols: w, training: training) { out in
            BLAS.gemm(z, transposeA: false, p, transposeB: true, into: &out)
            for r in 0..<input.rows {
                for i in 0..<w { out.values[r * w + i] += mean.values[i] }
                for j in 0..<jumps {
                    let (low, high, f, _) = blend(input.values[r * k + d + 2 * j])
                    let size = input.values[r * k + d + 2 * j + 1]
                    for i in 0..<w {
                        out.values[r * w + i] += size * ((1 - f) * steps.values[i * c + low] + f * steps.values[i * c + high])
                    }
                }
            }
        }
    }

    public func backward(_ gradOutput: Matrix, needInputGradient: Bool) -> Matrix? {
        guard needInputGradient else { return nil }
        guard let input = cachedInput else { preconditionFailure("JumpDecoding: backward called before a training forward") }
        let w = state.windowSize, d = state.components, jumps = state.jumps, k = d + 2 * jumps
        let steps = state.currentSteps(), c = steps.cols, p = state.principal.basis.value
        var gz = Matrix(rows: 0, cols: 0)
        BLAS.gemm(gradOutput, transposeA: false, p, transposeB: false, into: &gz)
        gradInput.reshapeDiscardingContents(rows: input.rows, cols: k)
        let perStep = Float(w / 2)
        for r in 0..<input.rows {
            for i in 0..<d { gradInput.values[r * k + i] = gz.values[r * d + i] }
            for j in 0..<jumps {
                let position = input.values[r * k + d + 2 * j]
                let (low, high, f, slope) = blend(position)
                let size = input.values[r * k + d + 2 * j + 1]
                var gLow: Float = 0, gHigh: Float = 0
                for i in 0..<w {
                    gLow += steps.values[i * c + low] * gradOutput.values[r * w + i]
                    gHigh += steps.values[i * c + high] * gradOutput.values[r * w + i]
                }
                gradInput.values[r * k + d + 2 * j + 1] = (1 - f) * gLow + f * gHigh
                gradInput.values[r * k + d + 2 * j] = size * (gHigh - gLow) * slope * perStep
            }
        }
        return gradInput
    }
}
