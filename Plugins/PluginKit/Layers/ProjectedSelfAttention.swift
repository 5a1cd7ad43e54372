/// A per-step projection followed by self-attention, `attention(projection(u))`, with the
/// projection folded into the query, key and value maps: x = u·P + p, so
///     Q = x·Wq + bq = u·(P·Wq) + (p·Wq + bq)                       (likewise K and V)
/// and in backward xᵀ·dQ = Pᵀ·(uᵀ·dQ) + pᵀ·Σ_t dQ, dL/dP = Σ (uᵀ·dQ)·Wqᵀ (the projection's
/// output is never formed). The same model and parameters as the two layers in sequence (its
/// weights are theirs, in that order), with the sums in another order; the products over all
/// `batch * length` steps read `u`'s c0 channels instead of x's C, which pays when the
/// projection widens (the original's encoder: 1 → 128 channels, where the three projections
/// and their gradients were a third of the block's time).
/// `projection` must be position-wise and linear (kernel 1, stride 1) into `attention`'s width.
public final class ProjectedSelfAttention: SequenceLayer {
    public let projection: Conv1D
    public let attention: MultiHeadSelfAttention
    public var inputLength: Int { projection.inputLength }
    public var inputChannels: Int { projection.inputChannels }
    public var outputLength: Int { attention.outputLength }
    public var outputChannels: Int { attention.outputChannels }
    public var weights: [Weight] { projection.weights + attention.weights }

    /// P·W and p·W + b of the query, key and value maps, in that order.
    private var foldedKernels = [Matrix](repeating: Matrix(rows: 0, cols: 0), count: 3)
    private var foldedBiases = [Matrix](repeating: Matrix(rows: 0, cols: 0), count: 3)
    private var cachedInput: Matrix?
    private var inputProduct = Matrix(rows: 0, cols: 0), columnSums = Matrix(rows: 0, cols: 0)
    private var gradInput = Matrix(rows: 0, cols: 0)

    public init(projection: Conv1D, attention: MultiHeadSelfAttention) {
        precondition(
            projection.kernelSize == 1 && projection.stride == 1 && projection.activation == .linear
                && projection.outputLength == projection.inputLength,
            "ProjectedSelfAttention: the projection must be position-wise and linear")
        precondition(
            projection.outputLength == attention.inputLength && projection.filters == attention.inputChannels,
            "ProjectedSelfAttention: the projection's output is not the attention's input")
        self.projection = projection
        self.attention = attention
    }

    private var maps: [(kernel: Weight, bias: Weight)] {
        [
            (attention.queryKernel, attention.queryBias), (attention.keyKernel, attention.keyBias),
            (attention.valueKernel, attention.valueBias),
        ]
    }

    public func forward(_ input: Matrix, training: Bool) -> Matrix {
        precondition(
            input.cols == inputSize && input.isConsistent,
            "ProjectedSelfAttention \(projection.kernel.name): input has \(input.cols) columns, expected \(inputSize)")
        checkProjectionShapes()
        let u = LayerMath.view(input, rows: input.rows * inputLength, cols: inputChannels)
        if training { cachedInput = u }
        for (i, map) in maps.enumerated() {
            BLAS.gemm(projection.kernel.value, transposeA: false, map.kernel.value, transposeB: false, into: &foldedKernels[i])
            foldedBiases[i] = map.bias.value
            BLAS.gemm(
                projection.bias.value, transposeA: false, map.kernel.value, transposeB: false, into: &foldedBiases[i],
                beta: 1)
        }
        let kernels = foldedKernels, biases = foldedBiases
        return attention.forward(batch: input.rows, training: training) { q, k, v in
            Self.project(u, kernels[0], biases[0], into: &q)
            Self.project(u, kernels[1], biases[1], into: &k)
            Self.project(u, kernels[2], biases[2], into: &v)
        }
    }

    public func backward(_ gradOutput: Matrix, needInputGradient: Bool) -> Matrix? {
        guard let u = cachedInput else {
            preconditionFailure("ProjectedSelfAttention \(projection.kernel.name): backward called before a training forward")
        }
        checkProjectionShapes()
        attention.backwardToProjections(gradOutput)
        let grads = [attention.gradQ, attention.gradK, attention.gradV]
        let p = projection
        if needInputGradient { gradInput.reshapeDiscardingContents(rows: u.rows, cols: inputChannels) }
        for (i, map) in maps.enumerated() {
            // uᵀ·dQ and Σ_t dQ: what every gradient below is made of.
            inputProduct.reshapeDiscardingContents(rows: inputChannels, cols: attention.innerWidth)
            inputProduct.setZero()
            BLAS.rowBlockedGradient(u, grads[i], into: &inputProduct)
            columnSums.reshapeDiscardingContents(rows: 1, cols: attention.innerWidth)
            columnSums.setZero()
            LayerMath.addColumnSums(of: grads[i], into: &columnSums)
            // The map's: dW += Pᵀ·(uᵀ·dQ) + pᵀ·Σ dQ, db += Σ dQ.
            BLAS.gemm(p.kernel.value, transposeA: true, inputProduct, transposeB: false, into: &map.kernel.gradient, beta: 1)
            BLAS.gemm(p.bias.value, transposeA: true, columnSums, transposeB: false, into: &map.kernel.gradient, beta: 1)
            LayerMath.addColumnSums(of: columnSums, into: &map.bias.gradient)
            // The projection's (its output gradient is Σ dQ·Wᵀ): dP += (uᵀ·dQ)·Wᵀ, dp += (Σ dQ)·Wᵀ.
            BLAS.gemm(inputProduct, transposeA: false, map.kernel.value, transposeB: true, into: &p.kernel.gradient, beta: 1)
            BLAS.gemm(columnSums, transposeA: false, map.kernel.value, transposeB: true, into: &p.bias.gradient, beta: 1)
            // dL/du = Σ dQ·(P·W)ᵀ, with P·W of the current weights.
            if needInputGradient {
                BLAS.gemm(p.kernel.value, transposeA: false, map.kernel.value, transposeB: false, into: &foldedKernels[i])
                BLAS.gemm(
                    grads[i], transposeA: false, foldedKernels[i], transposeB: true, into: &gradInput, beta: i == 0 ? 0 : 1)
            }
        }
        guard needInputGradient else { return nil }
        gradInput.rows = u.rows / inputLength
        gradInput.cols = inputSize
        return gradInput
    }

    /// `out = u · W + b`.
    private static func project(_ u: Matrix, _ w: Matrix, _ b: Matrix, into out: inout Matrix) {
        BLAS.rowBlockedProduct(u, w, into: &out)
        LayerMath.addRowVector(b, to: &out)
    }

    private func checkProjectionShapes() {
        LayerMath.checkShape(projection.kernel, rows: inputChannels, cols: attention.inputChannels)
        LayerMath.checkShape(projection.bias, rows: 1, cols: attention.inputChannels)
    }
}
