/// Fully connected layer: `y = f(x · W + b)` for a batch `x` of shape [batch x inputSize].
///
/// Buffer strategy (this is the training hot path):
/// - The training output is written into one of two buffers used alternately.
///   The output of step t is still referenced by the next layer's cached input
///   when step t+1 starts, so writing into that same buffer would trigger a
///   copy-on-write copy; the other buffer is by then only referenced here, so
///   it is overwritten in place with no allocation.
/// - The input is cached by reference (no copy); backward only reads it. A
///   caller that refills one batch matrix in place therefore pays one
///   copy-on-write copy per step (the first layer still holds the previous
///   batch); alternating two batch matrices avoids it.
/// - dL/dz and dL/dx have their own buffers, resized only when the batch size
///   changes. Inference uses a separate output buffer, so an inference pass
///   between a training forward and its backward does not disturb the caches.
public final class Dense: DeferrableBackward {
    public let inputSize: Int
    public let outputSize: Int
    public let activation: Activation
    /// [inputSize x outputSize], named "\(name).weight".
    public let weight: Weight
    /// [1 x outputSize], named "\(name).bias".
    public let bias: Weight

    public var weights: [Weight] { [weight, bias] }

    private var cachedInput: Matrix?
    private var outputA = Matrix(rows: 0, cols: 0)
    private var outputB = Matrix(rows: 0, cols: 0)
    /// Which of `outputA` / `outputB` holds the latest training output.
    private var latestIsA = false
    private var inferenceOutput = Matrix(rows: 0, cols: 0)
    private var gradPreActivation = Matrix(rows: 0, cols: 0)
    private var gradInput = Matrix(rows: 0, cols: 0)

    /// Glorot-uniform weights [inputSize x outputSize] from `rng`, zero bias [1 x outputSize].
    /// Weight names: "\(name).weight", "\(name).bias".
    public init(
        inputSize: Int, outputSize: Int, activation: Activation, name: String,
        rng: inout SeededGenerator
    ) {
        precondition(inputSize > 0 && outputSize > 0, "Dense \(name): sizes must be positive")
        self.inputSize = inputSize
        self.outputSize = outputSize
        self.activation = activation
        self.weight = Weight(
            name: "\(name).weight",
            value: WeightInitialization.glorotUniform(rows: inputSize, cols: outputSize, rng: &rng))
        self.bias = Weight(name: "\(name).bias", value: Matrix(rows: 1, cols: outputSize))
    }

    /// Shape mismatches are programmer errors here: callers validate external
    /// data (window length, feature count) before it reaches a layer.
    public func forward(_ input: Matrix, training: Bool) -> Matrix {
        precondition(
            input.cols == inputSize,
            "Dense \(weight.name): input has \(input.cols) columns, expected \(inputSize)")
        checkParameterShapes()
        if training {
            cachedInput = input
            latestIsA.toggle()
            if latestIsA {
                compute(input, into: &outputA)
                return outputA
            } else {
                compute(input, into: &outputB)
                return outputB
            }
        } else {
            compute(input, into: &inferenceOutput)
            return inferenceOutput
        }
    }

    public func backward(_ gradOutput: Matrix, needInputGradient: Bool) -> Matrix? {
        let (input, gradZ) = preActivationGradient(gradOutput)
        Self.addParameterGradients(input: input, gradZ: gradZ, weight: weight, bias: bias)
        guard needInputGradient else { return nil }
        // dL/dx = dL/dz · Wᵀ
        BLAS.gemm(gradZ, transposeA: false, weight.value, transposeB: true, into: &gradInput)
        return gradInput
    }

    public func backwardDeferringParameterGradients(_ gradOutput: Matrix) -> (
        inputGradient: Matrix, addParameterGradients: () -> Void
    ) {
        let (input, gradZ) = preActivationGradient(gradOutput)
        BLAS.gemm(gradZ, transposeA: false, weight.value, transposeB: true, into: &gradInput)
        let (weight, bias) = (weight, bias)
        return (gradInput, { Self.addParameterGradients(input: input, gradZ: gradZ, weight: weight, bias: bias) })
    }

    /// dL/dW += xᵀ · dL/dz (beta = 1 accumulates into the existing gradient); dL/db += column sums of dL/dz.
    private static func addParameterGradients(input: Matrix, gradZ: Matrix, weight: Weight, bias: Weight) {
        BLAS.gemm(input, transposeA: true, gradZ, transposeB: false, into: &weight.gradient, beta: 1)
        addColumnSums(of: gradZ, into: &bias.gradient)
    }

    /// The last training forward's input, and dL/dz = dL/dy ⊙ f'(z).
    private func preActivationGradient(_ gradOutput: Matrix) -> (input: Matrix, gradZ: Matrix) {
        guard let input = cachedInput else {
            preconditionFailure("Dense \(weight.name): backward called before a training forward")
        }
        let output = latestIsA ? outputA : outputB
        precondition(
            gradOutput.rows == output.rows && gradOutput.cols == output.cols && gradOutput.isConsistent,
            "Dense \(weight.name): gradient is \(gradOutput.rows)x\(gradOutput.cols), expected \(output.rows)x\(output.cols)")
        checkParameterShapes()

        // dL/dz = dL/dy ⊙ f'(z). For a linear layer that is dL/dy itself: no copy.
        let gradZ: Matrix
        if activation == .linear {
            gradZ = gradOutput
        } else {
            gradPreActivation.reshapeDiscardingContents(rows: output.rows, cols: output.cols)
            output.values.withUnsafeBufferPointer { y in
                gradOutput.values.withUnsafeBufferPointer { g in
                    gradPreActivation.values.withUnsafeMutableBufferPointer { r in
                        activation.multiplyByDerivative(output: y, gradient: g, into: r)
                    }
                }
            }
            gradZ = gradPreActivation
        }
        return (input, gradZ)
    }

    /// `out = f(input · W + b)`, reusing `out`'s storage. The bias is written first and the
    /// product accumulated onto it (beta = 1): one pass over the output, where beta = 0 had BLAS
    /// zero it and a second pass add the bias (together ~5% of an encoder's forward).
    private func compute(_ input: Matrix, into out: inout Matrix) {
        let rows = input.rows, cols = outputSize
        if out.rows != rows || out.cols != cols { out.reshapeDiscardingContents(rows: rows, cols: cols) }
        bias.value.values.withUnsafeBufferPointer { b in
            out.values.withUnsafeMutableBufferPointer { o in
                guard let bp = b.baseAddress, let op = o.baseAddress else { return }
                for r in 0..<rows { (op + r * cols).update(from: bp, count: cols) }
            }
        }
        BLAS.gemm(input, transposeA: false, weight.value, transposeB: false, into: &out, beta: 1)
        out.values.withUnsafeMutableBufferPointer { activation.apply(to: $0) }
    }

    /// `target[0, c] += Σ_r m[r, c]`, walking rows so the inner loop is contiguous.
    private static func addColumnSums(of m: Matrix, into target: inout Matrix) {
        let rows = m.rows, cols = m.cols
        m.values.withUnsafeBufferPointer { src in
            target.values.withUnsafeMutableBufferPointer { dst in
                guard let s = src.baseAddress, let d = dst.baseAddress else { return }
                for r in 0..<rows {
                    let row = s + r * cols
                    for c in 0..<cols { d[c] += row[c] }
                }
            }
        }
    }

    /// `value` and `gradient` are public vars (weights get loaded from disk), so
    /// re-check the shapes the raw loops rely on.
    private func checkParameterShapes() {
        precondition(
            weight.value.rows == inputSize && weight.value.cols == outputSize && weight.value.isConsistent,
            "Dense \(weight.name): weight must be \(inputSize)x\(outputSize)")
        precondition(
            bias.value.rows == 1 && bias.value.cols == outputSize && bias.value.isConsistent,
            "Dense \(bias.name): bias must be 1x\(outputSize)")
        precondition(
            weight.gradient.rows == inputSize && weight.gradient.cols == outputSize
                && weight.gradient.isConsistent,
            "Dense \(weight.name): weight gradient must be \(inputSize)x\(outputSize)")
        precondition(
            bias.gradient.rows == 1 && bias.gradient.cols == outputSize && bias.gradient.isConsistent,
            "Dense \(bias.name): bias gradient must be 1x\(outputSize)")
    }
}
