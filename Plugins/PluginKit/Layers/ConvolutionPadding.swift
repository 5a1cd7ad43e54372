/// Padding of `Conv1D` / `ConvTranspose1D` (Keras spelling).
///
/// For `Conv1D` with effective kernel `e = (kernelSize - 1) * dilation + 1`:
/// - `.valid`: no padding, `outputLength = (inputLength - e) / stride + 1`;
/// - `.same`: `outputLength = ceil(inputLength / stride)`, zeros added so that
///   every output exists, `floor(total / 2)` of them before the sequence (as TF);
/// - `.explicit(p)`: `p` zeros on each side, `outputLength = (inputLength + 2p - e) / stride + 1`.
///
/// An integer literal means `.explicit`: `padding: 2`.
public enum ConvolutionPadding: Equatable, Sendable, ExpressibleByIntegerLiteral {
    case valid
    case same
    case explicit(Int)

    public init(integerLiteral value: Int) {
        self = .explicit(value)
    }
}
