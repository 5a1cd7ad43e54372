import CVectorMath

/// Multi-head self-attention (Keras `MultiHeadAttention(query = value = key = x)`, no mask):
///     Q = x·Wq + bq,  K = x·Wk + bk,  V = x·Wv + bv                       (per step, C -> C)
///     head h: O_h = softmax(Q_h · K_hᵀ / sqrt(d)) · V_h                   (softmax over keys, d = keySize)
///     y = concat_h(O_h) · Wo + bo
/// Q, K and V have `heads * d` channels (`keySize`, by default C / heads: C channels, as Keras'
/// `key_dim = C / heads`). Input and output `batch x (length * channels)`, time-major; head h
/// uses channels `h * d ..< (h + 1) * d` of Q, K, V. The projections are one sgemm each over all
/// `batch * length` steps; each (sample, head) takes two small sgemms forward and four
/// backward on contiguous copies of its slices.
/// Parameters (Glorot-uniform kernels C x heads·d, the output's heads·d x C; zero biases), in this order:
/// "\(name).query.kernel", "\(name).query.bias", "\(name).key.kernel", "\(name).key.bias",
/// "\(name).value.kernel", "\(name).value.bias", "\(name).output.kernel", "\(name).output.bias".
public final class MultiHeadSelfAttention: SequenceLayer {
    public let inputLength: Int
    public let inputChannels: Int
    public let heads: Int
    public let headSize: Int
    /// Channels of Q, K, V and of the heads' concatenation: `heads * headSize`.
    public var innerWidth: Int { heads * headSize }
    public var outputLength: Int { inputLength }
    public var outputChannels: Int { inputChannels }

    public let queryKernel: Weight, queryBias: Weight
    public let keyKernel: Weight, keyBias: Weight
    public let valueKernel: Weight, valueBias: Weight
    public let outputKernel: Weight, outputBias: Weight
    public var weights: [Weight] {
        [queryKernel, queryBias, keyKernel, keyBias, valueKernel, valueBias, outputKernel, outputBias]
    }

    /// What a forward pass writes; training and inference use separate ones.
    struct Workspace {
        var q = Matrix(rows: 0, cols: 0)
        var k = Matrix(rows: 0, cols: 0)
        var v = Matrix(rows: 0, cols: 0)
        /// The attention weights, L x L per (sample, head) at index `sample * heads + head`
        /// (training only; inference reuses one scratch matrix).
        var probabilities = [Matrix]()
        /// (batch * L) x C: the heads' outputs side by side (input of the output projection).
        var concat = Matrix(rows: 0, cols: 0)
    }
    private var trainingSpace = Workspace()
    private var inferenceSpace = Workspace()
    private var cachedInput: Matrix?
    private var outputs = OutputBuffers()
    // Per-(sample, head) scratch: L x d or L x L.
    private var qh = Matrix(rows: 0, cols: 0), kh = Matrix(rows: 0, cols: 0), vh = Matrix(rows: 0, cols: 0)
    private var scores = Matrix(rows: 0, cols: 0), oh = Matrix(rows: 0, cols: 0)
    private var gradOh = Matrix(rows: 0, cols: 0), gradScores = Matrix(rows: 0, cols: 0)
    private var gradQh = Matrix(rows: 0, cols: 0), gradKh = Matrix(rows: 0, cols: 0), gradVh = Matrix(rows: 0, cols: 0)
    // (batch * L) x C gradients.
    private var gradConcat = Matrix(rows: 0, cols: 0)
    private var gradQ = Matrix(rows: 0, cols: 0), gradK = Matrix(rows: 0, cols: 0), gradV = Matrix(rows: 0, cols: 0)
    private var gradInput = Matrix(rows: 0, cols: 0)

    public init(name: String, length: Int, channels: Int, heads: Int, keySize: Int? = nil, rng: inout SeededGenerator) {
        precondition(
            length > 0 && channels > 0 && heads > 0 && (keySize ?? 1) > 0,
            "MultiHeadSelfAttention \(name): sizes must be positive")
        precondition(
            keySize != nil || channels % heads == 0,
            "MultiHeadSelfAttention \(name): \(channels) channels do not split into \(heads) heads")
        inputLength = length
        inputChannels = channels
        self.heads = heads
        headSize = keySize ?? channels / heads
        let inner = heads * headSize
        func kernel(_ role: String, rows: Int, cols: Int) -> Weight {
            Weight(
                name: "\(name).\(role).kernel",
                value: LayerInitialization.glorotUniform(rows: rows, cols: cols, fanIn: rows, fanOut: cols, rng: &rng))
        }
        func bias(_ role: String, _ width: Int) -> Weight {
            Weight(name: "\(name).\(role).bias", value: Matrix(rows: 1, cols: width))
        }
        queryKernel = kernel("query", rows: channels, cols: inner); queryBias = bias("query", inner)
        keyKernel = kernel("key", rows: channels, cols: inner); keyBias = bias("key", inner)
        valueKernel = kernel("value", rows: channels, cols: inner); valueBias = bias("value", inner)
        outputKernel = kernel("output", rows: inner, cols: channels); outputBias = bias("output", channels)
    }

    public func forward(_ input: Matrix, training: Bool) -> Matrix {
        precondition(
            input.cols == inputSize && input.isConsistent,
            "MultiHeadSelfAttention \(queryKernel.name): input has \(input.cols) columns, expected \(inputSize)")
        checkParameterShapes()
        let batch = input.rows, L = inputLength, C = inputChannels, d = headSize
        let x = LayerMath.view(input, rows: batch * L, cols: C)
        var ws = Workspace()
        if training { swap(&ws, &trainingSpace); cachedInput = x } else { swap(&ws, &inferenceSpace) }
        defer { if training { swap(&ws, &trainingSpace) } else { swap(&ws, &inferenceSpace) } }

        Self.project(x, queryKernel, queryBias, into: &ws.q)
        Self.project(x, keyKernel, keyBias, into: &ws.k)
        Self.project(x, valueKernel, valueBias, into: &ws.v)
        if training {
            if ws.probabilities.count != batch * heads {
                ws.probabilities = [Matrix](repeating: Matrix(rows: 0, cols: 0), count: batch * heads)
            }
        }
        ws.concat.reshapeDiscardingContents(rows: batch * L, cols: innerWidth)
        let scale = 1 / Float(d).squareRoot()
        /// Scores, softmax and P · V of one (sample, head), with P kept in `p`.
        func attend(_ p: inout Matrix) {
            BLAS.gemm(qh, transposeA: false, kh, transposeB: true, into: &p, alpha: scale)
            Self.softmaxRows(&p)
            BLAS.gemm(p, transposeA: false, vh, transposeB: false, into: &oh)
        }
        for b in 0..<batch {
            for h in 0..<heads {
                Self.extract(ws.q, sample: b, head: h, length: L, headSize: d, into: &qh)
                Self.extract(ws.k, sample: b, head: h, length: L, headSize: d, into: &kh)
                Self.extract(ws.v, sample: b, head: h, length: L, headSize: d, into: &vh)
                if training {
                    attend(&ws.probabilities[b * heads + h])
                } else {
                    attend(&scores)
                }
                Self.insert(oh, sample: b, head: h, length: L, headSize: d, into: &ws.concat)
            }
        }
        let concat = ws.concat
        return outputs.fill(rows: batch, cols: inputSize, training: training) { out in
            Self.project(concat, outputKernel, outputBias, into: &out)
        }
    }

    public func backward(_ gradOutput: Matrix, needInputGradient: Bool) -> Matrix? {
        guard let x = cachedInput else {
            preconditionFailure("MultiHeadSelfAttention \(queryKernel.name): backward called before a training forward")
        }
        let L = inputLength, C = inputChannels, d = headSize, batch = x.rows / L
        precondition(
            gradOutput.rows == batch && gradOutput.cols == inputSize && gradOutput.isConsistent,
            "MultiHeadSelfAttention \(queryKernel.name): gradient is \(gradOutput.rows)x\(gradOutput.cols), expected \(batch)x\(inputSize)"
        )
        checkParameterShapes()
        var ws = Workspace()
        swap(&ws, &trainingSpace)
        defer { swap(&ws, &trainingSpace) }

        let gradY = LayerMath.view(gradOutput, rows: batch * L, cols: C)
        BLAS.gemm(ws.concat, transposeA: true, gradY, transposeB: false, into: &outputKernel.gradient, beta: 1)
        LayerMath.addColumnSums(of: gradY, into: &outputBias.gradient)
        BLAS.gemm(gradY, transposeA: false, outputKernel.value, transposeB: true, into: &gradConcat)
        gradQ.reshapeDiscardingContents(rows: batch * L, cols: innerWidth)
        gradK.reshapeDiscardingContents(rows: batch * L, cols: innerWidth)
        gradV.reshapeDiscardingContents(rows: batch * L, cols: innerWidth)
        let scale = 1 / Float(d).squareRoot()
        for b in 0..<batch {
            for h in 0..<heads {
                Self.extract(gradConcat, sample: b, head: h, length: L, headSize: d, into: &gradOh)
                Self.extract(ws.q, sample: b, head: h, length: L, headSize: d, into: &qh)
                Self.extract(ws.k, sample: b, head: h, length: L, headSize: d, into: &kh)
                Self.extract(ws.v, sample: b, head: h, length: L, headSize: d, into: &vh)
                let p = ws.probabilities[b * heads + h]
                // dP = dO · Vᵀ, dV = Pᵀ · dO
                BLAS.gemm(gradOh, transposeA: false, vh, transposeB: true, into: &gradScores)
                BLAS.gemm(p, transposeA: true, gradOh, transposeB: false, into: &gradVh)
                // Softmax backward (row-wise), times the 1/sqrt(d) scaling: dS = P ⊙ (dP - rowsum(dP ⊙ P)) / sqrt(d).
                Self.softmaxBackward(probabilities: p, gradient: &gradScores, scale: scale)
                // dQ = dS · K, dK = dSᵀ · Q
                BLAS.gemm(gradScores, transposeA: false, kh, transposeB: false, into: &gradQh)
                BLAS.gemm(gradScores, transposeA: true, qh, transposeB: false, into: &gradKh)
                Self.insert(gradQh, sample: b, head: h, length: L, headSize: d, into: &gradQ)
                Self.insert(gradKh, sample: b, head: h, length: L, headSize: d, into: &gradK)
                Self.insert(gradVh, sample: b, head: h, length: L, headSize: d, into: &gradV)
            }
        }
        BLAS.gemm(x, transposeA: true, gradQ, transposeB: false, into: &queryKernel.gradient, beta: 1)
        BLAS.gemm(x, transposeA: true, gradK, transposeB: false, into: &keyKernel.gradient, beta: 1)
        BLAS.gemm(x, transposeA: true, gradV, transposeB: false, into: &valueKernel.gradient, beta: 1)
        LayerMath.addColumnSums(of: gradQ, into: &queryBias.gradient)
        LayerMath.addColumnSums(of: gradK, into: &keyBias.gradient)
        LayerMath.addColumnSums(of: gradV, into: &valueBias.gradient)
        guard needInputGradient else { return nil }
        BLAS.gemm(gradQ, transposeA: false, queryKernel.value, transposeB: true, into: &gradInput)
        BLAS.gemm(gradK, transposeA: false, keyKernel.value, transposeB: true, into: &gradInput, beta: 1)
        BLAS.gemm(gradV, transposeA: false, valueKernel.value, transposeB: true, into: &gradInput, beta: 1)
        gradInput.rows = batch
        gradInput.cols = inputSize
        return gradInput
    }

    /// `out = x · W + b`.
    private static func project(_ x: Matrix, _ w: Weight, _ b: Weight, into out: inout Matrix) {
        BLAS.gemm(x, transposeA: false, w.value, transposeB: false, into: &out)
        LayerMath.addRowVector(b.value, to: &out)
    }

    /// `dst (L x d) = src[sample * L + i, head * d + j]`.
    private static func extract(
        _ src: Matrix, sample: Int, head: Int, length: Int, headSize: Int,
        into dst: inout Matrix
    ) {
        dst.reshapeDiscardingContents(rows: length, cols: headSize)
        let width = src.cols
        src.values.withUnsafeBufferPointer { sb in
            dst.values.withUnsafeMutableBufferPointer { db in
                let s = sb.baseAddress! + sample * length * width + head * headSize, d = db.baseAddress!
                for i in 0..<length { (d + i * headSize).update(from: s + i * width, count: headSize) }
            }
        }
    }

    /// `dst[sample * L + i, head * d + j] = src (L x d)`.
    private static func insert(
        _ src: Matrix, sample: Int, head: Int, length: Int, headSize: Int,
        into dst: inout Matrix
    ) {
        let width = dst.cols
        src.values.withUnsafeBufferPointer { sb in
            dst.values.withUnsafeMutableBufferPointer { db in
                let s = sb.baseAddress!, d = db.baseAddress! + sample * length * width + head * headSize
                for i in 0..<length { (d + i * width).update(from: s + i * headSize, count: headSize) }
            }
        }
    }

    /// Numerically stable softmax of every row, in place. The exponentials run as one
    /// loop over the whole matrix (short per-row loops leave exp's latency exposed).
    private static func softmaxRows(_ m: inout Matrix) {
        let rows = m.rows, cols = m.cols
        m.values.withUnsafeMutableBufferPointer { buffer in
            guard let base = buffer.baseAddress, cols > 0 else { return }
            for r in 0..<rows {
                let row = base + r * cols
                let top = LayerMath.maximum(row, cols)
                for j in 0..<cols { row[j] = max(row[j] - top, -87) }
            }
            fe_exp_f32(base, rows * cols)  // FastMath.exp at the CPU's widest vector width
            for r in 0..<rows {
                let row = base + r * cols
                let inv = 1 / LayerMath.sum(row, cols)
                for j in 0..<cols { row[j] *= inv }
            }
        }
    }

    /// `g = scale · P ⊙ (g - rowsum(g ⊙ P))`, in place.
    private static func softmaxBackward(probabilities p: Matrix, gradient g: inout Matrix, scale: Float) {
        let rows = p.rows, cols = p.cols
        p.values.withUnsafeBufferPointer { pb in
            g.values.withUnsafeMutableBufferPointer { gb in
                guard let pp = pb.baseAddress, let gp = gb.baseAddress else { return }
                for r in 0..<rows {
                    let pr = pp + r * cols, gr = gp + r * cols
                    let dot = LayerMath.dot(gr, pr, cols)
                    for j in 0..<cols { gr[j] = scale * pr[j] * (gr[j] - dot) }
                }
            }
        }
    }

    private func checkParameterShapes() {
        for k in [queryKernel, keyKernel, valueKernel] {
            LayerMath.checkShape(k, rows: inputChannels, cols: innerWidth)
        }
        LayerMath.checkShape(outputKernel, rows: innerWidth, cols: inputChannels)
        for b in [queryBias, keyBias, valueBias] {
            LayerMath.checkShape(b, rows: 1, cols: innerWidth)
        }
        LayerMath.checkShape(outputBias, rows: 1, cols: inputChannels)
    }
}
