/// Layer normalisation over the channels of every step (Keras `LayerNormalization(axis=-1)`):
///     y[t, c] = gamma[c] · (x[t, c] - mean_t) / sqrt(var_t + epsilon) + beta[c]
/// with the mean and (biased) variance over the `channels` values of step t.
/// Input and output `batch x (length * channels)`, time-major.
/// Parameters "\(name).gamma" (1 x channels, ones) and "\(name).beta" (1 x channels, zeros).
public final class LayerNormalization: SequenceLayer {
    public let inputLength: Int
    public let inputChannels: Int
    public let epsilon: Float
    public var outputLength: Int { inputLength }
    public var outputChannels: Int { inputChannels }

    public let gamma: Weight
    public let beta: Weight
    public var weights: [Weight] { [gamma, beta] }

    private var outputs = OutputBuffers()
    /// Training caches: the normalised input and 1 / sqrt(var + epsilon) per step.
    private var normalized = [Float]()
    private var inverseDeviation = [Float]()
    private var inferenceNormalized = [Float]()
    private var inferenceInverseDeviation = [Float]()
    private var trainingBatch = -1
    private var gradInput = Matrix(rows: 0, cols: 0)

    public init(name: String, length: Int, channels: Int, epsilon: Float = 1e-5) {
        precondition(length > 0 && channels > 0, "LayerNormalization \(name): length and channels must be positive")
        precondition(epsilon >= 0, "LayerNormalization \(name): epsilon must be non-negative")
        inputLength = length
        inputChannels = channels
        self.epsilon = epsilon
        gamma = Weight(name: "\(name).gamma", value: Matrix(rows: 1, cols: channels, repeating: 1))
        beta = Weight(name: "\(name).beta", value: Matrix(rows: 1, cols: channels))
    }

    public func forward(_ input: Matrix, training: Bool) -> Matrix {
        precondition(
            input.cols == inputSize && input.isConsistent,
            "LayerNormalization \(gamma.name): input has \(input.cols) columns, expected \(inputSize)")
        checkParameterShapes()
        let batch = input.rows
        if training {
            trainingBatch = batch
            return outputs.fill(rows: batch, cols: inputSize, training: true) { out in
                normalize(input, into: &out, normalized: &normalized, inverseDeviation: &inverseDeviation)
            }
        }
        return outputs.fill(rows: batch, cols: inputSize, training: false) { out in
            normalize(
                input, into: &out, normalized: &inferenceNormalized,
                inverseDeviation: &inferenceInverseDeviation)
        }
    }

    private func normalize(
        _ input: Matrix, into out: inout Matrix, normalized: inout [Float],
        inverseDeviation: inout [Float]
    ) {
        let steps = input.rows * inputLength, c = inputChannels, eps = epsilon
        if normalized.count != steps * c { normalized = [Float](repeating: 0, count: steps * c) }
        if inverseDeviation.count != steps { inverseDeviation = [Float](repeating: 0, count: steps) }
        let invC = 1 / Float(c)
        input.values.withUnsafeBufferPointer { xb in
            out.values.withUnsafeMutableBufferPointer { yb in
                normalized.withUnsafeMutableBufferPointer { nb in
                    inverseDeviation.withUnsafeMutableBufferPointer { ib in
                        gamma.value.values.withUnsafeBufferPointer { gb in
                            beta.value.values.withUnsafeBufferPointer { bb in
                                guard let x = xb.baseAddress, let y = yb.baseAddress, let n = nb.baseAddress,
                                    let inv = ib.baseAddress,
                                    let g = gb.baseAddress, let be = bb.baseAddress
                                else { return }
                                for s in 0..<steps {
                                    let xr = x + s * c, yr = y + s * c, nr = n + s * c
                                    // Partial sums: a single running sum is a chain of dependent adds.
                                    let mean = LayerMath.sum(xr, c) * invC
                                    let variance = LayerMath.sumOfSquaredDeviations(xr, c, mean: mean) * invC
                                    let r = 1 / (variance + eps).squareRoot()
                                    inv[s] = r
                                    for j in 0..<c {
                                        let xh = (xr[j] - mean) * r
                                        nr[j] = xh
                                        yr[j] = g[j] * xh + be[j]
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    public func backward(_ gradOutput: Matrix, needInputGradient: Bool) -> Matrix? {
        precondition(trainingBatch >= 0, "LayerNormalization \(gamma.name): backward called before a training forward")
        precondition(
            gradOutput.rows == trainingBatch && gradOutput.cols == inputSize && gradOutput.isConsistent,
            "LayerNormalization \(gamma.name): gradient is \(gradOutput.rows)x\(gradOutput.cols), expected \(trainingBatch)x\(inputSize)"
        )
        checkParameterShapes()
        let steps = trainingBatch * inputLength, c = inputChannels, invC = 1 / Float(c)
        if needInputGradient { gradInput.reshapeDiscardingContents(rows: trainingBatch, cols: inputSize) }
        gradOutput.values.withUnsafeBufferPointer { gb in
            normalized.withUnsafeBufferPointer { nb in
                inverseDeviation.withUnsafeBufferPointer { ib in
                    gamma.value.values.withUnsafeBufferPointer { gammaBuffer in
                        gamma.gradient.values.withUnsafeMutableBufferPointer { dgb in
                            beta.gradient.values.withUnsafeMutableBufferPointer { dbb in
                                gradInput.values.withUnsafeMutableBufferPointer { dxb in
                                    guard steps > 0, let dy = gb.baseAddress, let n = nb.baseAddress, let inv = ib.baseAddress,
                                        let g = gammaBuffer.baseAddress, let dg = dgb.baseAddress, let db = dbb.baseAddress
                                    else { return }
                                    let dx = dxb.baseAddress
                                    for s in 0..<steps {
                                        let dyr = dy + s * c, nr = n + s * c
                                        var sumD: Float = 0, sumDN: Float = 0
                                        for j in 0..<c {
                                            let d = dyr[j] * g[j]  // dL/dxhat
                                            sumD += d
                                            sumDN += d * nr[j]
                                            dg[j] += dyr[j] * nr[j]
                                            db[j] += dyr[j]
                                        }
                                        guard needInputGradient, let dx else { continue }
                                        let meanD = sumD * invC, meanDN = sumDN * invC, r = inv[s]
                                        let dxr = dx + s * c
                                        for j in 0..<c { dxr[j] = r * (dyr[j] * g[j] - meanD - nr[j] * meanDN) }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        return needInputGradient ? gradInput : nil
    }

    private func checkParameterShapes() {
        LayerMath.checkShape(gamma, rows: 1, cols: inputChannels)
        LayerMath.checkShape(beta, rows: 1, cols: inputChannels)
    }
}
