import CVectorMath

/// Multi-head self-attention (Keras `MultiHeadAttention(query = value = key = x)`, no mask):
///     Q = x·Wq + bq,  K = x·Wk + bk,  V = x·Wv + bv                       (per step, C -> C)
///     head h: O_h = softmax(Q_h · K_hᵀ / sqrt(d)) · V_h                   (softmax over keys, d = keySize)
///     y = concat_h(O_h) · Wo + bo
/// Q, K and V have `heads * d` channels (`keySize`, by default C / heads: C channels, as Keras'
/// `key_dim = C / heads`). Input and output `batch x (length * channels)`, time-major; head h
/// uses channels `h * d ..< (h + 1) * d` of Q, K, V. The projections are one sgemm each over all
/// `batch * length` steps; each (sample, head) takes two small sgemms forward and four
/// backward, reading and writing its head's columns in place (strided).
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
        /// The attention weights, L x L per (sample, head), the one of `sample * heads + head`
        /// from `(sample * heads + head) * L * L` (training; inference reuses the first L x L).
        var probabilities = [Float]()
        /// (batch * L) x C: the heads' outputs side by side (input of the output projection).
        var concat = Matrix(rows: 0, cols: 0)
    }
    private var trainingSpace = Workspace()
    private var inferenceSpace = Workspace()
    private var cachedInput: Matrix?
    private var trainingBatch = -1
    private var outputs = OutputBuffers()
    /// One (sample, head)'s score gradient, L x L.
    private var gradScores = [Float]()
    // (batch * L) x C gradients.
    private var gradConcat = Matrix(rows: 0, cols: 0)
    /// dL/dQ, dL/dK, dL/dV of the last backward.
    private(set) var gradQ = Matrix(rows: 0, cols: 0), gradK = Matrix(rows: 0, cols: 0), gradV = Matrix(rows: 0, cols: 0)
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
        let x = LayerMath.view(input, rows: input.rows * inputLength, cols: inputChannels)
        if training { cachedInput = x }
        return forward(batch: input.rows, training: training) { q, k, v in
            Self.project(x, queryKernel, queryBias, into: &q)
            Self.project(x, keyKernel, keyBias, into: &k)
            Self.project(x, valueKernel, valueBias, into: &v)
        }
    }

    /// Attention and the output projection of Q, K and V ((batch * L) x heads·d each) that
    /// `project` writes: the layer's forward, and `ProjectedSelfAttention`'s with its own maps.
    func forward(
        batch: Int, training: Bool, projecting project: (inout Matrix, inout Matrix, inout Matrix) -> Void
    ) -> Matrix {
        checkParameterShapes()
        let L = inputLength, d = headSize
        var ws = Workspace()
        if training { swap(&ws, &trainingSpace); trainingBatch = batch } else { swap(&ws, &inferenceSpace) }
        defer { if training { swap(&ws, &trainingSpace) } else { swap(&ws, &inferenceSpace) } }

        project(&ws.q, &ws.k, &ws.v)
        let pairs = training ? batch * heads : 1
        if ws.probabilities.count != pairs * L * L { ws.probabilities = [Float](repeating: 0, count: pairs * L * L) }
        ws.concat.reshapeDiscardingContents(rows: batch * L, cols: innerWidth)
        Self.attendHeads(
            q: ws.q, k: ws.k, v: ws.v, batch: batch, heads: heads, length: L, headSize: d,
            probabilities: &ws.probabilities, keepAll: training, into: &ws.concat)
        let concat = ws.concat
        return outputs.fill(rows: batch, cols: outputSize, training: training) { out in
            Self.project(concat, outputKernel, outputBias, into: &out)
        }
    }

    public func backward(_ gradOutput: Matrix, needInputGradient: Bool) -> Matrix? {
        guard let x = cachedInput else {
            preconditionFailure("MultiHeadSelfAttention \(queryKernel.name): backward called before a training forward")
        }
        backwardToProjections(gradOutput)
        BLAS.rowBlockedGradient(x, gradQ, into: &queryKernel.gradient)
        BLAS.rowBlockedGradient(x, gradK, into: &keyKernel.gradient)
        BLAS.rowBlockedGradient(x, gradV, into: &valueKernel.gradient)
        LayerMath.addColumnSums(of: gradQ, into: &queryBias.gradient)
        LayerMath.addColumnSums(of: gradK, into: &keyBias.gradient)
        LayerMath.addColumnSums(of: gradV, into: &valueBias.gradient)
        guard needInputGradient else { return nil }
        BLAS.gemm(gradQ, transposeA: false, queryKernel.value, transposeB: true, into: &gradInput)
        BLAS.gemm(gradK, transposeA: false, keyKernel.value, transposeB: true, into: &gradInput, beta: 1)
        BLAS.gemm(gradV, transposeA: false, valueKernel.value, transposeB: true, into: &gradInput, beta: 1)
        gradInput.rows = trainingBatch
        gradInput.cols = inputSize
        return gradInput
    }

    /// Backward to `gradQ`, `gradK` and `gradV` (adding the output projection's gradients).
    func backwardToProjections(_ gradOutput: Matrix) {
        let L = inputLength, C = inputChannels, d = headSize, batch = trainingBatch
        precondition(batch >= 0, "MultiHeadSelfAttention \(queryKernel.name): backward called before a training forward")
        precondition(
            gradOutput.rows == batch && gradOutput.cols == outputSize && gradOutput.isConsistent,
            "MultiHeadSelfAttention \(queryKernel.name): gradient is \(gradOutput.rows)x\(gradOutput.cols), expected \(batch)x\(outputSize)"
        )
        checkParameterShapes()
        var ws = Workspace()
        swap(&ws, &trainingSpace)
        defer { swap(&ws, &trainingSpace) }

        let gradY = LayerMath.view(gradOutput, rows: batch * L, cols: C)
        BLAS.rowBlockedGradient(ws.concat, gradY, into: &outputKernel.gradient)
        LayerMath.addColumnSums(of: gradY, into: &outputBias.gradient)
        BLAS.gemm(gradY, transposeA: false, outputKernel.value, transposeB: true, into: &gradConcat)
        gradQ.reshapeDiscardingContents(rows: batch * L, cols: innerWidth)
        gradK.reshapeDiscardingContents(rows: batch * L, cols: innerWidth)
        gradV.reshapeDiscardingContents(rows: batch * L, cols: innerWidth)
        if gradScores.count != L * L { gradScores = [Float](repeating: 0, count: L * L) }
        Self.attendHeadsBackward(
            q: ws.q, k: ws.k, v: ws.v, probabilities: ws.probabilities, gradOutput: gradConcat,
            batch: batch, heads: heads, length: L, headSize: d, scratch: &gradScores,
            gradQ: &gradQ, gradK: &gradK, gradV: &gradV)
    }

    /// `out = x · W + b`.
    private static func project(_ x: Matrix, _ w: Weight, _ b: Weight, into out: inout Matrix) {
        BLAS.rowBlockedProduct(x, w.value, into: &out)
        LayerMath.addRowVector(b.value, to: &out)
    }

    /// Every (sample, head)'s `O_h = softmax(Q_h · K_hᵀ / sqrt(d)) · V_h` into its columns of
    /// `out`, with P in `probabilities` (all of them when `keepAll`, else each over the last).
    /// Q_h, K_h, V_h and O_h are read and written in place, rows `heads * d` apart: no copies.
    private static func attendHeads(
        q: Matrix, k: Matrix, v: Matrix, batch: Int, heads: Int, length L: Int, headSize d: Int,
        probabilities: inout [Float], keepAll: Bool, into out: inout Matrix
    ) {
        let width = heads * d, block = L * width
        precondition(
            [q, k, v, out].allSatisfy { $0.values.count == batch * block }
                && probabilities.count >= (keepAll ? batch * heads : 1) * L * L,
            "MultiHeadSelfAttention: buffer sizes differ from batch x length x heads x head size")
        let scale = 1 / Float(d).squareRoot()
        q.values.withUnsafeBufferPointer { qb in
            k.values.withUnsafeBufferPointer { kb in
                v.values.withUnsafeBufferPointer { vb in
                    out.values.withUnsafeMutableBufferPointer { ob in
                        probabilities.withUnsafeMutableBufferPointer { pb in
                            guard let qp = qb.baseAddress, let kp = kb.baseAddress, let vp = vb.baseAddress,
                                let op = ob.baseAddress, let pp = pb.baseAddress
                            else { return }
                            for b in 0..<batch {
                                for h in 0..<heads {
                                    let at = b * block + h * d
                                    let p = pp + (keepAll ? (b * heads + h) * L * L : 0)
                                    BLAS.gemm(
                                        m: L, n: L, k: d, qp + at, lda: width, transposeA: false,
                                        kp + at, ldb: width, transposeB: true, into: p, ldc: L, alpha: scale)
                                    softmaxRows(p, rows: L, cols: L)
                                    BLAS.gemm(
                                        m: L, n: d, k: L, p, lda: L, transposeA: false,
                                        vp + at, ldb: width, transposeB: false, into: op + at, ldc: width)
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    /// The gradients of Q, K and V from the heads' output gradient `gradOutput` ((batch * L) x
    /// heads·d), head by head in place as `attendHeads`; `scratch` (L x L) holds one head's dP, then dS.
    private static func attendHeadsBackward(
        q: Matrix, k: Matrix, v: Matrix, probabilities: [Float], gradOutput: Matrix,
        batch: Int, heads: Int, length L: Int, headSize d: Int, scratch: inout [Float],
        gradQ: inout Matrix, gradK: inout Matrix, gradV: inout Matrix
    ) {
        let width = heads * d, block = L * width
        precondition(
            [q, k, v, gradOutput, gradQ, gradK, gradV].allSatisfy { $0.values.count == batch * block }
                && probabilities.count == batch * heads * L * L && scratch.count == L * L,
            "MultiHeadSelfAttention: buffer sizes differ from batch x length x heads x head size")
        let scale = 1 / Float(d).squareRoot()
        q.values.withUnsafeBufferPointer { qb in
            k.values.withUnsafeBufferPointer { kb in
                v.values.withUnsafeBufferPointer { vb in
                    probabilities.withUnsafeBufferPointer { pb in
                        gradOutput.values.withUnsafeBufferPointer { gob in
                            scratch.withUnsafeMutableBufferPointer { sb in
                                gradQ.values.withUnsafeMutableBufferPointer { gqb in
                                    gradK.values.withUnsafeMutableBufferPointer { gkb in
                                        gradV.values.withUnsafeMutableBufferPointer { gvb in
                                            guard let qp = qb.baseAddress, let kp = kb.baseAddress,
                                                let vp = vb.baseAddress, let pp = pb.baseAddress,
                                                let gop = gob.baseAddress, let ds = sb.baseAddress,
                                                let gq = gqb.baseAddress, let gk = gkb.baseAddress,
                                                let gv = gvb.baseAddress
                                            else { return }
                                            for b in 0..<batch {
                                                for h in 0..<heads {
                                                    let at = b * block + h * d
                                                    let p = pp + (b * heads + h) * L * L
                                                    // dP = dO · Vᵀ, dV = Pᵀ · dO
                                                    BLAS.gemm(
                                                        m: L, n: L, k: d, gop + at, lda: width, transposeA: false,
                                                        vp + at, ldb: width, transposeB: true, into: ds, ldc: L)
                                                    BLAS.gemm(
                                                        m: L, n: d, k: L, p, lda: L, transposeA: true,
                                                        gop + at, ldb: width, transposeB: false, into: gv + at, ldc: width)
                                                    // dS = P ⊙ (dP - rowsum(dP ⊙ P)) / sqrt(d)
                                                    softmaxBackward(
                                                        probabilities: p, gradient: ds, rows: L, cols: L, scale: scale)
                                                    // dQ = dS · K, dK = dSᵀ · Q
                                                    BLAS.gemm(
                                                        m: L, n: d, k: L, ds, lda: L, transposeA: false,
                                                        kp + at, ldb: width, transposeB: false, into: gq + at, ldc: width)
                                                    BLAS.gemm(
                                                        m: L, n: d, k: L, ds, lda: L, transposeA: true,
                                                        qp + at, ldb: width, transposeB: false, into: gk + at, ldc: width)
                                                }
                                            }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    /// Numerically stable softmax of every row, in place. The exponentials run as one
    /// loop over the whole matrix (short per-row loops leave exp's latency exposed).
    private static func softmaxRows(_ base: UnsafeMutablePointer<Float>, rows: Int, cols: Int) {
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

    /// `g = scale · P ⊙ (g - rowsum(g ⊙ P))`, in place.
    private static func softmaxBackward(
        probabilities p: UnsafePointer<Float>, gradient g: UnsafeMutablePointer<Float>, rows: Int, cols: Int,
        scale: Float
    ) {
        for r in 0..<rows {
            let pr = p + r * cols, gr = g + r * cols
            let dot = LayerMath.dot(gr, pr, cols)
            for j in 0..<cols { gr[j] = scale * pr[j] * (gr[j] - dot) }
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
