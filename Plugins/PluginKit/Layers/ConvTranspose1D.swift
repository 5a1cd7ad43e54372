/// Transposed 1-D convolution (Keras `Conv1DTranspose`): the adjoint of `Conv1D` in its input.
///
/// Input `batch x (inputLength * inputChannels)`, output `batch x (outputLength * filters)`,
/// time-major. Input step t, tap k adds `x[t] · W[k]ᵀ` into output step
/// `t * stride + k * dilation - padBefore` (dropped outside the output), then bias and
/// activation. Output length, with `e = (kernelSize - 1) * dilation + 1`:
/// - `.valid`: `inputLength * stride + max(e - stride, 0)`;
/// - `.same`: `inputLength * stride`;
/// - `.explicit(p)`: `(inputLength - 1) * stride + e - 2p`.
/// A `Conv1D` with the same kernel size, stride, dilation and padding over
/// `outputLength` steps of `filters` channels has `inputLength` outputs, and with its
/// kernel equal to this layer's (same shape) the linear parts are adjoint:
/// `<conv(y), x> == <y, convT(x)>`.
///
/// Forward: one sgemm `x · Wᵀ` giving every tap's contribution, then col2im;
/// backward: im2col of dL/dz, then one sgemm each for the kernel and input gradients.
public final class ConvTranspose1D: SequenceLayer {
    public let inputLength: Int
    public let inputChannels: Int
    public let filters: Int
    public let kernelSize: Int
    public let stride: Int
    public let dilation: Int
    public let padding: ConvolutionPadding
    public let activation: Activation
    public var outputLength: Int { geometry.signalLength }
    public var outputChannels: Int { filters }

    /// `(kernelSize * filters) x inputChannels`, row `k * filters + f` (Keras' `(k, f, c)`
    /// kernel flattened), named "\(name).kernel"; Glorot uniform with fans `k * f` and `k * c`.
    public let kernel: Weight
    /// `1 x filters`, named "\(name).bias", zero.
    public let bias: Weight
    public var weights: [Weight] { [kernel, bias] }

    let geometry: ConvolutionGeometry
    private var cachedInput: Matrix?
    private var patches = Matrix(rows: 0, cols: 0)
    private var outputs = OutputBuffers()
    private var gradPreActivation = Matrix(rows: 0, cols: 0)
    private var gradPatches = Matrix(rows: 0, cols: 0)
    private var gradInput = Matrix(rows: 0, cols: 0)

    public init(
        name: String, inputLength: Int, inputChannels: Int, filters: Int, kernelSize: Int,
        stride: Int = 1, padding: ConvolutionPadding = .valid, dilation: Int = 1,
        activation: Activation, rng: inout SeededGenerator
    ) {
        precondition(filters > 0, "ConvTranspose1D \(name): filters must be positive")
        geometry = .transposedConvolution(
            inputLength: inputLength, channels: filters, kernelSize: kernelSize,
            stride: stride, dilation: dilation, padding: padding)
        precondition(inputChannels > 0, "ConvTranspose1D \(name): input channels must be positive")
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
                rows: kernelSize * filters, cols: inputChannels,
                fanIn: kernelSize * filters,
                fanOut: kernelSize * inputChannels, rng: &rng))
        bias = Weight(name: "\(name).bias", value: Matrix(rows: 1, cols: filters))
    }

    public func forward(_ input: Matrix, training: Bool) -> Matrix {
        precondition(
            input.cols == inputSize && input.isConsistent,
            "ConvTranspose1D \(kernel.name): input has \(input.cols) columns, expected \(inputSize)")
        checkParameterShapes()
        let batch = input.rows
        let x = LayerMath.view(input, rows: batch * inputLength, cols: inputChannels)
        if training { cachedInput = x }
        // `patches` is scratch: backward does not read it, so inference may share it.
        BLAS.gemm(x, transposeA: false, kernel.value, transposeB: true, into: &patches)
        let g = geometry
        return outputs.fill(rows: batch, cols: outputSize, training: training) { out in
            out.setZero()
            if batch > 0 {
                patches.values.withUnsafeBufferPointer { src in
                    out.values.withUnsafeMutableBufferPointer { dst in
                        g.scatterAdd(src.baseAddress!, batch: batch, into: dst.baseAddress!)
                    }
                }
            }
            LayerMath.addBiasAndActivate(&out, bias: bias.value, activation: activation)
        }
    }

    public func backward(_ gradOutput: Matrix, needInputGradient: Bool) -> Matrix? {
        guard let x = cachedInput else {
            preconditionFailure("ConvTranspose1D \(kernel.name): backward called before a training forward")
        }
        let output = outputs.latest
        precondition(
            gradOutput.rows == output.rows && gradOutput.cols == output.cols && gradOutput.isConsistent,
            "ConvTranspose1D \(kernel.name): gradient is \(gradOutput.rows)x\(gradOutput.cols), expected \(output.rows)x\(output.cols)"
        )
        checkParameterShapes()
        let batch = output.rows
        let gradZ = LayerMath.preActivationGradient(
            activation, output: output, gradient: gradOutput,
            buffer: &gradPreActivation)
        Conv1D.im2col(gradZ, geometry, batch: batch, into: &gradPatches)
        BLAS.gemm(gradPatches, transposeA: true, x, transposeB: false, into: &kernel.gradient, beta: 1)
        LayerMath.addColumnSums(of: gradZ, into: &bias.gradient)
        guard needInputGradient else { return nil }
        BLAS.gemm(gradPatches, transposeA: false, kernel.value, transposeB: false, into: &gradInput)
        gradInput.rows = batch
        gradInput.cols = inputSize
        return gradInput
    }

    private func checkParameterShapes() {
        LayerMath.checkShape(kernel, rows: kernelSize * filters, cols: inputChannels)
        LayerMath.checkShape(bias, rows: 1, cols: filters)
    }
}
