/// Seeded weight initialisers of the sequence layers (Keras defaults).
enum LayerInitialization {
    /// Glorot uniform with explicit fans (a convolution kernel's fans include the
    /// kernel size): U(-l, l), l = sqrt(6 / (fanIn + fanOut)), filled row-major.
    static func glorotUniform(
        rows: Int, cols: Int, fanIn: Int, fanOut: Int,
        rng: inout SeededGenerator
    ) -> Matrix {
        precondition(rows > 0 && cols > 0 && fanIn > 0 && fanOut > 0, "glorotUniform: sizes must be positive")
        let limit = (6 / Float(fanIn + fanOut)).squareRoot()
        var m = Matrix(rows: rows, cols: cols)
        for i in 0..<m.values.count { m.values[i] = rng.uniform(-limit, limit) }
        return m
    }

    /// Orthogonal (Keras `Orthogonal`, gain 1): a standard normal matrix of the
    /// taller orientation is orthonormalised column by column (modified Gram-Schmidt
    /// in Double, which is QR with a positive diagonal of R) and transposed back
    /// when `rows < cols`, so the result has orthonormal rows or columns.
    static func orthogonal(rows: Int, cols: Int, rng: inout SeededGenerator) -> Matrix {
        precondition(rows > 0 && cols > 0, "orthogonal: sizes must be positive")
        let n = max(rows, cols), k = min(rows, cols)
        // a: n x k, column-major in `columns[j]`, drawn row-major.
        var columns = [[Double]](repeating: [Double](repeating: 0, count: n), count: k)
        for i in 0..<n { for j in 0..<k { columns[j][i] = Double(rng.normal()) } }
        for j in 0..<k {
            for p in 0..<j {
                var dot = 0.0
                for i in 0..<n { dot += columns[p][i] * columns[j][i] }
                for i in 0..<n { columns[j][i] -= dot * columns[p][i] }
            }
            var norm = 0.0
            for i in 0..<n { norm += columns[j][i] * columns[j][i] }
            norm = norm.squareRoot()
            precondition(norm > 1e-12, "orthogonal: degenerate draw")
            for i in 0..<n { columns[j][i] /= norm }
        }
        var m = Matrix(rows: rows, cols: cols)
        for i in 0..<n {
            for j in 0..<k {
                if rows >= cols { m[i, j] = Float(columns[j][i]) } else { m[j, i] = Float(columns[j][i]) }
            }
        }
        return m
    }
}
