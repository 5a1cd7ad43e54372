import Glibc

/// A fixed (not trained) linear map `y = x · M`, with its exact backward pass.
///
/// Used for an orthonormal DCT at the window side of the dense plugins: a
/// window's level becomes one coordinate and its shape the others, so that
/// Adam's per-weight step sizes can tell them apart. Without it every weight of
/// the first layer sees the level in every input and the shape is learnt slowly.
public final class FixedTransform: Layer {
    public let matrix: Matrix
    private var output = Matrix(rows: 0, cols: 0)
    private var gradInput = Matrix(rows: 0, cols: 0)

    public init(_ matrix: Matrix) {
        self.matrix = matrix
    }

    public var weights: [Weight] { [] }

    public func forward(_ input: Matrix, training: Bool) -> Matrix {
        BLAS.gemm(input, transposeA: false, matrix, transposeB: false, into: &output)
        return output
    }

    public func backward(_ gradOutput: Matrix, needInputGradient: Bool) -> Matrix? {
        guard needInputGradient else { return nil }
        BLAS.gemm(gradOutput, transposeA: false, matrix, transposeB: true, into: &gradInput)
        return gradInput
    }

    /// The orthonormal DCT-II of length `n` as a right-multiplied matrix:
    /// `x · dct(n)` gives the coefficients, `c · dct(n)ᵀ` the signal back.
    public static func dct(_ n: Int) -> Matrix {
        var m = Matrix(rows: n, cols: n)
        for i in 0..<n {
            for k in 0..<n {
                let scale = k == 0 ? (1 / Double(n)).squareRoot() : (2 / Double(n)).squareRoot()
                m[i, k] = Float(scale * cos(Double.pi / Double(n) * (Double(i) + 0.5) * Double(k)))
            }
        }
        return m
    }

    /// The transpose of `m` (the inverse of an orthonormal map).
    public static func transpose(_ m: Matrix) -> Matrix {
        var t = Matrix(rows: m.cols, cols: m.rows)
        for r in 0..<m.rows { for c in 0..<m.cols { t[c, r] = m[r, c] } }
        return t
    }
}
