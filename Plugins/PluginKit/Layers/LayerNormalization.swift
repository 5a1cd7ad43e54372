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
                                    // Four lanes at a time, explicitly (the buffers could alias).
                                    var j = 0
                                    while j + 4 <= c {
                                        let xh = (LayerMath.load4(xr, j) - mean) * r
                                        LayerMath.store4(xh, nr, j)
                                        LayerMath.store4(LayerMath.load4(g, j) * xh + LayerMath.load4(be, j), yr, j)
                                        j += 4
                                    }
                                    while j < c {
                                        let xh = (xr[j] - mean) * r
                                        nr[j] = xh
                                        yr[j] = g[j] * xh + be[j]
                                        j += 1
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
                                        Self.accumulateParameterGradients(dyr, nr, dg, db, c)
                                        guard needInputGradient, let dx else { continue }
                                        // Σ dL/dxhat and Σ dL/dxhat · xhat in partial sums (one running sum
                                        // each kept this loop scalar, the parameter sums with it).
                                        let (sumD, sumDN) = Self.gradientSums(dyr, g, nr, c)
                                        let meanD = sumD * invC, meanDN = sumDN * invC, r = inv[s]
                                        let dxr = dx + s * c
                                        var j = 0
                                        while j + 4 <= c {
                                            let d = LayerMath.load4(dyr, j) * LayerMath.load4(g, j)
                                            LayerMath.store4(r * (d - meanD - LayerMath.load4(nr, j) * meanDN), dxr, j)
                                            j += 4
                                        }
                                        while j < c { dxr[j] = r * (dyr[j] * g[j] - meanD - nr[j] * meanDN); j += 1 }
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

    /// `dg[j] += dy[j]·n[j]`, `db[j] += dy[j]`, four lanes at a time (explicitly: the pointers
    /// could alias for all the compiler knows).
    @inline(__always)
    private static func accumulateParameterGradients(
        _ dy: UnsafePointer<Float>, _ n: UnsafePointer<Float>, _ dg: UnsafeMutablePointer<Float>,
        _ db: UnsafeMutablePointer<Float>, _ count: Int
    ) {
        var j = 0
        while j + 4 <= count {
            let d = LayerMath.load4(dy, j)
            LayerMath.store4(LayerMath.load4(dg, j) + d * LayerMath.load4(n, j), dg, j)
            LayerMath.store4(LayerMath.load4(db, j) + d, db, j)
            j += 4
        }
        while j < count {
            dg[j] += dy[j] * n[j]
            db[j] += dy[j]
            j += 1
        }
    }

    /// (Σ dy[j]·g[j], Σ dy[j]·g[j]·n[j]) over `count` values, four lanes at a time.
    @inline(__always)
    private static func gradientSums(
        _ dy: UnsafePointer<Float>, _ g: UnsafePointer<Float>, _ n: UnsafePointer<Float>, _ count: Int
    ) -> (Float, Float) {
        var sd = SIMD4<Float>(), sdn = SIMD4<Float>()
        var j = 0
        while j + 4 <= count {
            let d = LayerMath.load4(dy, j) * LayerMath.load4(g, j)
            sd += d
            sdn += d * LayerMath.load4(n, j)
            j += 4
        }
        var sumD = (sd[0] + sd[1]) + (sd[2] + sd[3]), sumDN = (sdn[0] + sdn[1]) + (sdn[2] + sdn[3])
        while j < count {
            let d = dy[j] * g[j]
            sumD += d
            sumDN += d * n[j]
            j += 1
        }
        return (sumD, sumDN)
    }

    private func checkParameterShapes() {
        LayerMath.checkShape(gamma, rows: 1, cols: inputChannels)
        LayerMath.checkShape(beta, rows: 1, cols: inputChannels)
    }
}
