/// 1-D convolution (Keras `Conv1D`): `y[t, f] = act(b[f] + Σ_k Σ_c x[t*stride + k*dilation - padBefore, c] · W[k, c, f])`.
///
/// Input `batch x (inputLength * inputChannels)`, output `batch x (outputLength * filters)`,
/// both time-major (see `SequenceLayer`); `outputLength` follows `padding` (see
/// `ConvolutionPadding`). Computed as im2col — a `(batch * outputLength) x (kernelSize * inputChannels)`
/// matrix of patches — times the kernel in row blocks (`BLAS.rowBlockedProduct`); backward takes
/// the kernel gradient likewise and one sgemm for the patch gradient, which col2im adds back
/// into dL/dx.
public final class Conv1D: SequenceLayer {
    public let inputLength: Int
    public let inputChannels: Int
    public let filters: Int
    public let kernelSize: Int
    public let stride: Int
    public let dilation: Int
    public let padding: ConvolutionPadding
    public let activation: Activation
    public var outputLength: Int { geometry.patchLength }
    public var outputChannels: Int { filters }

    /// `(kernelSize * inputChannels) x filters`, row `k * inputChannels + c` (Keras' `(k, c, f)`
    /// kernel flattened), named "\(name).kernel"; Glorot uniform with fans `k * c` and `k * f`.
    public let kernel: Weight
    /// `1 x filters`, named "\(name).bias", zero.
    public let bias: Weight
    public var weights: [Weight] { [kernel, bias] }

    let geometry: ConvolutionGeometry
    private var trainingPatches = Matrix(rows: 0, cols: 0)
    private var inferencePatches = Matrix(rows: 0, cols: 0)
    private var outputs = OutputBuffers()
    private var hasTrainingForward = false
    private var gradPreActivation = Matrix(rows: 0, cols: 0)
    private var gradPatches = Matrix(rows: 0, cols: 0)
    private var gradInput = Matrix(rows: 0, cols: 0)

    public init(
        name: String, inputLength: Int, inputChannels: Int, filters: Int, kernelSize: Int,
        stride: Int = 1, padding: ConvolutionPadding = .valid, dilation: Int = 1,
        activation: Activation, rng: inout SeededGenerator
    ) {
        precondition(filters > 0, "Conv1D \(name): filters must be positive")
        geometry = .convolution(
            inputLength: inputLength, channels: inputChannels, kernelSize: kernelSize,
            stride: stride, dilation: dilation, padding: padding)
        self.inputLength = inputLength
        self.inputChannels = inputChannels
        self.filters = filters
        self.kernelSize = kernelSize
        self.stride = stride
        self.dilation = dilation
        self.padding = padding
        self.activation = activation
        kernel = Weight(
            name: "\(name).kernel",
            value: LayerInitialization.glorotUniform(
                rows: kernelSize * inputChannels, cols: filters,
                fanIn: kernelSize * inputChannels,
                fanOut: kernelSize * filters, rng: &rng))
        bias = Weight(name: "\(name).bias", value: Matrix(rows: 1, cols: filters))
    }

    public func forward(_ input: Matrix, training: Bool) -> Matrix {
        precondition(
            input.cols == inputSize && input.isConsistent,
            "Conv1D \(kernel.name): input has \(input.cols) columns, expected \(inputSize)")
        checkParameterShapes()
        let batch = input.rows
        let patches: Matrix
        if geometry.isPointwise {
            patches = LayerMath.view(input, rows: batch * inputLength, cols: inputChannels)
            if training { trainingPatches = patches }
        } else if training {
            Self.im2col(input, geometry, batch: batch, into: &trainingPatches)
            patches = trainingPatches
        } else {
            Self.im2col(input, geometry, batch: batch, into: &inferencePatches)
            patches = inferencePatches
        }
        if training { hasTrainingForward = true }
        return outputs.fill(rows: batch, cols: outputSize, training: training) { out in
            BLAS.rowBlockedProduct(patches, kernel.value, into: &out)
            LayerMath.addBiasAndActivate(&out, bias: bias.value, activation: activation)
        }
    }

    public func backward(_ gradOutput: Matrix, needInputGradient: Bool) -> Matrix? {
        precondition(hasTrainingForward, "Conv1D \(kernel.name): backward called before a training forward")
        let output = outputs.latest
        precondition(
            gradOutput.rows == output.rows && gradOutput.cols == output.cols && gradOutput.isConsistent,
            "Conv1D \(kernel.name): gradient is \(gradOutput.rows)x\(gradOutput.cols), expected \(output.rows)x\(output.cols)")
        checkParameterShapes()
        let batch = output.rows
        let gradZ = LayerMath.view(
            LayerMath.preActivationGradient(activation, output: output, gradient: gradOutput, buffer: &gradPreActivation),
            rows: batch * outputLength, cols: filters)
        BLAS.rowBlockedGradient(trainingPatches, gradZ, into: &kernel.gradient)
        LayerMath.addColumnSums(of: gradZ, into: &bias.gradient)
        guard needInputGradient else { return nil }
        if geometry.isPointwise {
            BLAS.gemm(gradZ, transposeA: false, kernel.value, transposeB: true, into: &gradInput)
        } else {
            BLAS.gemm(gradZ, transposeA: false, kernel.value, transposeB: true, into: &gradPatches)
            gradInput.reshapeDiscardingContents(rows: batch, cols: inputSize)
            gradInput.setZero()
            let g = geometry
            if batch > 0 {
                gradPatches.values.withUnsafeBufferPointer { src in
                    gradInput.values.withUnsafeMutableBufferPointer { dst in
                        g.scatterAdd(src.baseAddress!, batch: batch, into: dst.baseAddress!)
                    }
                }
            }
        }
        gradInput.rows = batch
        gradInput.cols = inputSize
        return gradInput
    }

    static func im2col(_ input: Matrix, _ g: ConvolutionGeometry, batch: Int, into patches: inout Matrix) {
        patches.reshapeDiscardingContents(rows: batch * g.patchLength, cols: g.patchSize)
        guard batch > 0 else { return }
        input.values.withUnsafeBufferPointer { src in
            patches.values.withUnsafeMutableBufferPointer { dst in
                g.gather(src.baseAddress!, batch: batch, into: dst.baseAddress!)
            }
        }
    }

    private func checkParameterShapes() {
        LayerMath.checkShape(kernel, rows: kernelSize * inputChannels, cols: filters)
        LayerMath.checkShape(bias, rows: 1, cols: filters)
    }
}
