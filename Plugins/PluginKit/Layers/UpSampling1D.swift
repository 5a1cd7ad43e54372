/// Repeats every step `factor` times (Keras `UpSampling1D`).
///
/// Input `batch x (inputLength * channels)`, output `batch x (inputLength * factor * channels)`:
/// output step `t * factor + j` is input step t. Backward sums the copies' gradients.
public final class UpSampling1D: SequenceLayer {
    public let inputLength: Int
    public let inputChannels: Int
    public let factor: Int
    public var outputLength: Int { inputLength * factor }
    public var outputChannels: Int { inputChannels }
    public var weights: [Weight] { [] }

    private var outputs = OutputBuffers()
    private var trainingBatch = -1
    private var gradInput = Matrix(rows: 0, cols: 0)

    public init(inputLength: Int, channels: Int, factor: Int) {
        precondition(
            inputLength > 0 && channels > 0 && factor > 0,
            "UpSampling1D: length, channels and factor must be positive")
        self.inputLength = inputLength
        self.inputChannels = channels
        self.factor = factor
    }

    public func forward(_ input: Matrix, training: Bool) -> Matrix {
        precondition(
            input.cols == inputSize && input.isConsistent,
            "UpSampling1D: input has \(input.cols) columns, expected \(inputSize)")
        let batch = input.rows
        if training { trainingBatch = batch }
        let c = inputChannels, f = factor, steps = batch * inputLength
        return outputs.fill(rows: batch, cols: outputSize, training: training) { out in
            input.values.withUnsafeBufferPointer { xb in
                out.values.withUnsafeMutableBufferPointer { yb in
                    guard let x = xb.baseAddress, let y = yb.baseAddress else { return }
                    // Rows of all samples are consecutive steps, so (sample, step) is one index.
                    for t in 0..<steps {
                        let src = x + t * c
                        for j in 0..<f {
                            let dst = y + (t * f + j) * c
                            for ch in 0..<c { dst[ch] = src[ch] }
                        }
                    }
                }
            }
        }
    }

    public func backward(_ gradOutput: Matrix, needInputGradient: Bool) -> Matrix? {
        precondition(trainingBatch >= 0, "UpSampling1D: backward called before a training forward")
        precondition(
            gradOutput.rows == trainingBatch && gradOutput.cols == outputSize && gradOutput.isConsistent,
            "UpSampling1D: gradient is \(gradOutput.rows)x\(gradOutput.cols), expected \(trainingBatch)x\(outputSize)")
        guard needInputGradient else { return nil }
        let batch = trainingBatch, c = inputChannels, f = factor, steps = batch * inputLength
        gradInput.reshapeDiscardingContents(rows: batch, cols: inputSize)
        gradOutput.values.withUnsafeBufferPointer { gb in
            gradInput.values.withUnsafeMutableBufferPointer { db in
                guard let g = gb.baseAddress, let d = db.baseAddress else { return }
                for t in 0..<steps {
                    let dst = d + t * c
                    let first = g + t * f * c
                    for ch in 0..<c { dst[ch] = first[ch] }
                    for j in 1..<max(f, 1) {
                        let src = g + (t * f + j) * c
                        for ch in 0..<c { dst[ch] += src[ch] }
                    }
                }
            }
        }
        return gradInput
    }
}
