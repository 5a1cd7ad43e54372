/// Where a 1-D convolution's taps fall, and the im2col gather with its adjoint.
///
/// The "signal" side has `signalLength` steps of `channels` channels (a `Conv1D`'s
/// input, a `ConvTranspose1D`'s output); the "patch" side has `patchLength` steps
/// (a `Conv1D`'s output, a `ConvTranspose1D`'s input). Patch step t, tap k reads
/// signal step `t * stride + k * dilation - padBefore` (zero outside the signal).
struct ConvolutionGeometry: Equatable {
    let signalLength: Int
    let channels: Int
    let patchLength: Int
    let kernelSize: Int
    let stride: Int
    let dilation: Int
    let padBefore: Int

    /// Columns of one im2col row: `kernelSize * channels`, ordered (tap, channel).
    var patchSize: Int { kernelSize * channels }

    /// Extent of the dilated kernel.
    static func effectiveKernel(_ kernelSize: Int, _ dilation: Int) -> Int { (kernelSize - 1) * dilation + 1 }

    /// The geometry of a `Conv1D` over `inputLength` steps.
    static func convolution(
        inputLength: Int, channels: Int, kernelSize: Int, stride: Int, dilation: Int,
        padding: ConvolutionPadding
    ) -> ConvolutionGeometry {
        precondition(
            inputLength > 0 && channels > 0 && kernelSize > 0 && stride > 0 && dilation > 0,
            "convolution: lengths, channels, kernel size, stride and dilation must be positive")
        let e = effectiveKernel(kernelSize, dilation)
        let outputLength: Int, padBefore: Int
        switch padding {
        case .valid:
            precondition(inputLength >= e, "convolution: input length \(inputLength) is shorter than the kernel extent \(e)")
            outputLength = (inputLength - e) / stride + 1
            padBefore = 0
        case .same:
            outputLength = (inputLength + stride - 1) / stride
            padBefore = max((outputLength - 1) * stride + e - inputLength, 0) / 2
        case .explicit(let p):
            precondition(p >= 0, "convolution: padding must be non-negative")
            precondition(inputLength + 2 * p >= e, "convolution: padded input is shorter than the kernel extent \(e)")
            outputLength = (inputLength + 2 * p - e) / stride + 1
            padBefore = p
        }
        return ConvolutionGeometry(
            signalLength: inputLength, channels: channels, patchLength: outputLength,
            kernelSize: kernelSize, stride: stride, dilation: dilation, padBefore: padBefore)
    }

    /// The geometry of a `ConvTranspose1D` with `inputLength` input steps and
    /// `channels` OUTPUT channels (Keras' output lengths):
    /// - `.valid`: `inputLength * stride + max(e - stride, 0)`;
    /// - `.same`: `inputLength * stride`, `floor(max(e - stride, 0) / 2)` cropped before;
    /// - `.explicit(p)`: `(inputLength - 1) * stride + e - 2p`, `p` cropped each side.
    /// In each case `Conv1D` with the same settings over the output length has
    /// `inputLength` outputs and this very geometry: the two maps are adjoint.
    static func transposedConvolution(
        inputLength: Int, channels: Int, kernelSize: Int, stride: Int,
        dilation: Int, padding: ConvolutionPadding
    ) -> ConvolutionGeometry {
        precondition(
            inputLength > 0 && channels > 0 && kernelSize > 0 && stride > 0 && dilation > 0,
            "transposed convolution: lengths, channels, kernel size, stride and dilation must be positive")
        let e = effectiveKernel(kernelSize, dilation)
        let outputLength: Int, padBefore: Int
        switch padding {
        case .valid:
            outputLength = inputLength * stride + max(e - stride, 0)
            padBefore = 0
        case .same:
            outputLength = inputLength * stride
            padBefore = max(e - stride, 0) / 2
        case .explicit(let p):
            precondition(p >= 0, "transposed convolution: padding must be non-negative")
            outputLength = (inputLength - 1) * stride + e - 2 * p
            precondition(outputLength > 0, "transposed convolution: padding \(p) crops the whole output")
            padBefore = p
        }
        return ConvolutionGeometry(
            signalLength: outputLength, channels: channels, patchLength: inputLength,
            kernelSize: kernelSize, stride: stride, dilation: dilation, padBefore: padBefore)
    }

    /// True when im2col is the identity (a 1x1 convolution without stride or padding).
    var isPointwise: Bool { kernelSize == 1 && stride == 1 && padBefore == 0 && patchLength == signalLength }

    /// `cols[(b * patchLength + t), k * channels + c] = signal[b, (t * stride + k * dilation - padBefore) * channels + c]`,
    /// zero where the tap falls outside the signal.
    func gather(_ signal: UnsafePointer<Float>, batch: Int, into cols: UnsafeMutablePointer<Float>) {
        let c = channels, kk = kernelSize, signalRow = signalLength * c, patch = patchSize
        for b in 0..<batch {
            let src = signal + b * signalRow
            for t in 0..<patchLength {
                let dst = cols + (b * patchLength + t) * patch
                let start = t * stride - padBefore
                for k in 0..<kk {
                    let pos = start + k * dilation
                    let d = dst + k * c
                    if pos >= 0 && pos < signalLength {
                        let s = src + pos * c
                        if c == 1 { d[0] = s[0] } else { d.update(from: s, count: c) }
                    } else {
                        if c == 1 { d[0] = 0 } else { d.update(repeating: 0, count: c) }
                    }
                }
            }
        }
    }

    /// The adjoint of `gather`: `signal[...] += cols[...]` over the same index map
    /// (taps outside the signal are dropped). `signal` is not cleared first.
    func scatterAdd(_ cols: UnsafePointer<Float>, batch: Int, into signal: UnsafeMutablePointer<Float>) {
        let c = channels, kk = kernelSize, signalRow = signalLength * c, patch = patchSize
        for b in 0..<batch {
            let dstRow = signal + b * signalRow
            for t in 0..<patchLength {
                let src = cols + (b * patchLength + t) * patch
                let start = t * stride - padBefore
                for k in 0..<kk {
                    let pos = start + k * dilation
                    guard pos >= 0 && pos < signalLength else { continue }
                    let s = src + k * c
                    let d = dstRow + pos * c
                    for j in 0..<c { d[j] += s[j] }
                }
            }
        }
    }
}
