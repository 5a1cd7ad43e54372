import CBLAS

/// Count, mean and covariance of a stream of vectors (e.g. training windows),
/// accumulated in double precision.
///
/// Sums are taken about the first vector seen, not about zero: windows of a
/// price series share a large level, and centring first keeps the covariance
/// (tiny next to the level squared) from cancelling away.
public struct SecondMoments: Sendable, Equatable {
    public let dimension: Int
    public private(set) var count = 0
    private var origin: [Double] = []
    private var sum: [Double]
    /// Upper triangle (row-major) of the sum of outer products about `origin`.
    private var products: [Double]

    /// The largest dimension accepted: the covariance alone then takes 128 MiB.
    public static let maxDimension = 4096

    public init(dimension: Int) {
        precondition(dimension > 0 && dimension <= Self.maxDimension, "SecondMoments: dimension \(dimension) out of range")
        self.dimension = dimension
        sum = [Double](repeating: 0, count: dimension)
        products = [Double](repeating: 0, count: dimension * dimension)
    }

    /// Adds `rows` vectors stored row after row in `values` (`rows * dimension` floats).
    public mutating func add(_ values: UnsafeBufferPointer<Float>, rows: Int) {
        let d = dimension
        precondition(values.count >= rows * d, "SecondMoments: \(values.count) values for \(rows) rows of \(d)")
        guard rows > 0 else { return }
        if count == 0 { origin = (0..<d).map { Double(values[$0]) } }
        // Blocks of rows in double, about the origin, then one rank-k update each.
        let block = 256
        var centred = [Double](repeating: 0, count: block * d)
        var start = 0
        while start < rows {
            let n = min(block, rows - start)
            for r in 0..<n {
                let base = (start + r) * d
                for j in 0..<d {
                    let v = Double(values[base + j]) - origin[j]
                    centred[r * d + j] = v
                    sum[j] += v
                }
            }
            cblas_dsyrk(CblasRowMajor, CblasUpper, CblasTrans, Int32(d), Int32(n), 1, centred, Int32(d), 1, &products, Int32(d))
            start += n
        }
        count += rows
    }

    /// The mean vector (empty before the first vector).
    public var mean: [Double] {
        guard count > 0 else { return [] }
        return (0..<dimension).map { origin[$0] + sum[$0] / Double(count) }
    }

    /// The population covariance (divided by `count`), full and row-major.
    public var covariance: [Double] {
        let d = dimension
        guard count > 0 else { return [Double](repeating: 0, count: d * d) }
        let n = Double(count)
        let offset = sum.map { $0 / n }
        var c = [Double](repeating: 0, count: d * d)
        for i in 0..<d {
            for j in i..<d {
                let v = products[i * d + j] / n - offset[i] * offset[j]
                c[i * d + j] = v
                c[j * d + i] = v
            }
        }
        return c
    }
}
