/// Average pooling over time (Keras `AveragePooling1D`, padding "valid"), per channel.
///
/// Input `batch x (inputLength * channels)`, output `batch x (outputLength * channels)`
/// with `outputLength = (inputLength - poolSize) / stride + 1`; `stride` defaults to `poolSize`.
public final class AveragePool1D: SequenceLayer {
    private let window: PoolingWindow
    public var inputLength: Int { window.inputLength }
    public var inputChannels: Int { window.channels }
    public var poolSize: Int { window.poolSize }
    public var stride: Int { window.stride }
    public var outputLength: Int { window.outputLength }
    public var outputChannels: Int { window.channels }
    public var weights: [Weight] { [] }

    private var outputs = OutputBuffers()
    private var trainingBatch = -1
    private var gradInput = Matrix(rows: 0, cols: 0)

    public init(inputLength: Int, channels: Int, poolSize: Int, stride: Int? = nil) {
        window = PoolingWindow("AveragePool1D", inputLength: inputLength, channels: channels, poolSize: poolSize, stride: stride)
    }

    public func forward(_ input: Matrix, training: Bool) -> Matrix {
        precondition(
            input.cols == inputSize && input.isConsistent,
            "AveragePool1D: input has \(input.cols) columns, expected \(inputSize)")
        let batch = input.rows
        if training { trainingBatch = batch }
        let c = inputChannels, inRow = inputSize, outRow = outputSize, lOut = outputLength
        let pool = poolSize, s = stride, scale = 1 / Float(poolSize)
        return outputs.fill(rows: batch, cols: outRow, training: training) { out in
            input.values.withUnsafeBufferPointer { xb in
                out.values.withUnsafeMutableBufferPointer { yb in
                    guard let x = xb.baseAddress, let y = yb.baseAddress else { return }
                    for b in 0..<batch {
                        for t in 0..<lOut {
                            let src = x + b * inRow + t * s * c
                            let dst = y + b * outRow + t * c
                            for ch in 0..<c { dst[ch] = src[ch] }
                            for p in 1..<max(pool, 1) {
                                let sp = src + p * c
                                for ch in 0..<c { dst[ch] += sp[ch] }
                            }
                            for ch in 0..<c { dst[ch] *= scale }
                        }
                    }
                }
            }
        }
    }

    public func backward(_ gradOutput: Matrix, needInputGradient: Bool) -> Matrix? {
        precondition(trainingBatch >= 0, "AveragePool1D: backward called before a training forward")
        precondition(
            gradOutput.rows == trainingBatch && gradOutput.cols == outputSize && gradOutput.isConsistent,
            "AveragePool1D: gradient is \(gradOutput.rows)x\(gradOutput.cols), expected \(trainingBatch)x\(outputSize)")
        guard needInputGradient else { return nil }
        let batch = trainingBatch, c = inputChannels, inRow = inputSize, outRow = outputSize, lOut = outputLength
        let pool = poolSize, s = stride, scale = 1 / Float(poolSize)
        gradInput.reshapeDiscardingContents(rows: batch, cols: inRow)
        gradInput.setZero()
        gradOutput.values.withUnsafeBufferPointer { gb in
            gradInput.values.withUnsafeMutableBufferPointer { db in
                guard let g = gb.baseAddress, let d = db.baseAddress else { return }
                for b in 0..<batch {
                    for t in 0..<lOut {
                        let src = g + b * outRow + t * c
                        let dst = d + b * inRow + t * s * c
                        for p in 0..<pool {
                            let dp = dst + p * c
                            for ch in 0..<c { dp[ch] += scale * src[ch] }
                        }
                    }
                }
            }
        }
        return gradInput
    }
}
