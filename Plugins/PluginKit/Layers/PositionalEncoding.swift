import Glibc

/// Adds the sinusoidal position encoding of "Attention Is All You Need" (no parameters):
///     PE[t, 2i] = sin(t / 10000^(2i / channels)),  PE[t, 2i + 1] = cos(t / 10000^(2i / channels)).
/// Input and output `batch x (length * channels)`, time-major; dL/dx = dL/dy.
public final class PositionalEncoding: SequenceLayer {
    public let inputLength: Int
    public let inputChannels: Int
    public var outputLength: Int { inputLength }
    public var outputChannels: Int { inputChannels }
    public var weights: [Weight] { [] }

    /// `1 x (length * channels)`, time-major.
    public let encoding: Matrix
    private var outputs = OutputBuffers()

    public init(length: Int, channels: Int) {
        precondition(length > 0 && channels > 0, "PositionalEncoding: length and channels must be positive")
        inputLength = length
        inputChannels = channels
        var pe = Matrix(rows: 1, cols: length * channels)
        for t in 0..<length {
            for c in 0..<channels {
                let exponent = Double(2 * (c / 2)) / Double(channels)
                let angle = Double(t) / pow(10_000, exponent)
                pe.values[t * channels + c] = Float(c % 2 == 0 ? sin(angle) : cos(angle))
            }
        }
        encoding = pe
    }

    public func forward(_ input: Matrix, training: Bool) -> Matrix {
        precondition(
            input.cols == inputSize && input.isConsistent,
            "PositionalEncoding: input has \(input.cols) columns, expected \(inputSize)")
        let width = inputSize, rows = input.rows
        return outputs.fill(rows: rows, cols: width, training: training) { out in
            input.values.withUnsafeBufferPointer { xb in
                encoding.values.withUnsafeBufferPointer { pb in
                    out.values.withUnsafeMutableBufferPointer { yb in
                        guard let x = xb.baseAddress, let p = pb.baseAddress, let y = yb.baseAddress else { return }
                        for r in 0..<rows {
                            let xr = x + r * width, yr = y + r * width
                            for i in 0..<width { yr[i] = xr[i] + p[i] }
                        }
                    }
                }
            }
        }
    }

    public func backward(_ gradOutput: Matrix, needInputGradient: Bool) -> Matrix? {
        precondition(
            gradOutput.cols == inputSize, "PositionalEncoding: gradient has \(gradOutput.cols) columns, expected \(inputSize)")
        return needInputGradient ? gradOutput : nil
    }
}
