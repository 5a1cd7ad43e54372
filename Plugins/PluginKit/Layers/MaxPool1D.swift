/// Max pooling over time (Keras `MaxPooling1D`, padding "valid"), per channel.
///
/// Input `batch x (inputLength * channels)`, output `batch x (outputLength * channels)`
/// with `outputLength = (inputLength - poolSize) / stride + 1`; `stride` defaults to
/// `poolSize`. The gradient goes to the argmax of each window (the first one on ties).
public final class MaxPool1D: SequenceLayer {
    private let window: PoolingWindow
    public var inputLength: Int { window.inputLength }
    public var inputChannels: Int { window.channels }
    public var poolSize: Int { window.poolSize }
    public var stride: Int { window.stride }
    public var outputLength: Int { window.outputLength }
    public var outputChannels: Int { window.channels }
    public var weights: [Weight] { [] }

    private var outputs = OutputBuffers()
    /// Per training output element, the column of its input argmax within the sample.
    private var argmax = [Int32]()
    private var trainingBatch = -1
    private var gradInput = Matrix(rows: 0, cols: 0)

    public init(inputLength: Int, channels: Int, poolSize: Int, stride: Int? = nil) {
        window = PoolingWindow("MaxPool1D", inputLength: inputLength, channels: channels, poolSize: poolSize, stride: stride)
    }

    public func forward(_ input: Matrix, training: Bool) -> Matrix {
        precondition(
            input.cols == inputSize && input.isConsistent,
            "MaxPool1D: input has \(input.cols) columns, expected \(inputSize)")
        let batch = input.rows
        let c = inputChannels, inRow = inputSize, outRow = outputSize, lOut = outputLength
        let pool = poolSize, s = stride
        if training {
            if argmax.count != batch * outRow { argmax = [Int32](repeating: 0, count: batch * outRow) }
            trainingBatch = batch
        }
        return outputs.fill(rows: batch, cols: outRow, training: training) { out in
            input.values.withUnsafeBufferPointer { xb in
                out.values.withUnsafeMutableBufferPointer { yb in
                    guard let x = xb.baseAddress, let y = yb.baseAddress else { return }
                    func run(_ record: UnsafeMutablePointer<Int32>?) {
                        for b in 0..<batch {
                            let xr = x + b * inRow, yr = y + b * outRow
                            for t in 0..<lOut {
                                let base = t * s * c
                                for ch in 0..<c {
                                    var best = xr[base + ch], at = base + ch
                                    for p in 1..<max(pool, 1) where xr[base + p * c + ch] > best {
                                        best = xr[base + p * c + ch]
                                        at = base + p * c + ch
                                    }
                                    yr[t * c + ch] = best
                                    record?[b * outRow + t * c + ch] = Int32(at)
                                }
                            }
                        }
                    }
                    if training {
                        argmax.withUnsafeMutableBufferPointer { run($0.baseAddress) }
                    } else {
                        run(nil)
                    }
                }
            }
        }
    }

    public func backward(_ gradOutput: Matrix, needInputGradient: Bool) -> Matrix? {
        precondition(trainingBatch >= 0, "MaxPool1D: backward called before a training forward")
        precondition(
            gradOutput.rows == trainingBatch && gradOutput.cols == outputSize && gradOutput.isConsistent,
            "MaxPool1D: gradient is \(gradOutput.rows)x\(gradOutput.cols), expected \(trainingBatch)x\(outputSize)")
        guard needInputGradient else { return nil }
        let batch = trainingBatch, inRow = inputSize, outRow = outputSize
        gradInput.reshapeDiscardingContents(rows: batch, cols: inRow)
        gradInput.setZero()
        gradOutput.values.withUnsafeBufferPointer { gb in
            argmax.withUnsafeBufferPointer { ab in
                gradInput.values.withUnsafeMutableBufferPointer { db in
                    guard let g = gb.baseAddress, let a = ab.baseAddress, let d = db.baseAddress else { return }
                    for b in 0..<batch {
                        let dr = d + b * inRow
                        for i in 0..<outRow { dr[Int(a[b * outRow + i])] += g[b * outRow + i] }
                    }
                }
            }
        }
        return gradInput
    }
}
