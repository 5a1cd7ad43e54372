import CBLAS

/// The best linear subspace of a given rank for a set of vectors: their mean and
/// the leading eigenvectors of their covariance (principal component analysis).
///
/// Reconstructing `x` as `mean + B Bᵀ (x - mean)` minimises the mean squared
/// error over the fitted vectors among all rank-`rank` affine maps.
public struct PrincipalSubspace: Sendable, Equatable {
    public let dimension: Int
    public let rank: Int
    public let mean: [Double]
    /// `dimension × rank`, row-major: column `j` is component `j`, largest variance first.
    public let basis: [Double]
    /// The variance along each kept component, descending.
    public let variances: [Double]
    /// The variance left outside the subspace, per vector entry: the mean squared
    /// reconstruction error on the fitted vectors themselves.
    public let residualMSE: Double

    public enum FitError: Error, Equatable, CustomStringConvertible {
        case invalidRank(rank: Int, dimension: Int)
        case shapes(String)
        case notFinite
        case solverFailed(code: Int32)

        public var description: String {
            switch self {
            case let .invalidRank(rank, dimension): "rank \(rank) must be between 1 and the dimension \(dimension)"
            case let .shapes(what): what
            case .notFinite: "the statistics contain NaN or infinity"
            case let .solverFailed(code): "the eigensolver did not converge (LAPACK dsyevr info \(code))"
            }
        }
    }

    /// Fits from a mean and a full row-major covariance (made symmetric from its upper triangle).
    ///
    /// Each component's sign is fixed so that its entry of largest magnitude is
    /// positive, so the same statistics always give the same basis.
    public static func fit(mean: [Double], covariance: [Double], rank: Int) throws(FitError) -> PrincipalSubspace {
        let n = mean.count
        guard n > 0, covariance.count == n * n else {
            throw .shapes("covariance has \(covariance.count) values for a mean of \(n)")
        }
        guard rank >= 1, rank <= n else { throw .invalidRank(rank: rank, dimension: n) }
        guard mean.allSatisfy(\.isFinite), covariance.allSatisfy(\.isFinite) else { throw .notFinite }

        // LAPACK is column-major: the upper triangle of the row-major matrix is its lower one.
        var a = covariance
        var total = 0.0
        for i in 0..<n { total += covariance[i * n + i] }
        var (jobz, range, uplo): (CChar, CChar, CChar) = (
            CChar(UInt8(ascii: "V")), CChar(UInt8(ascii: "I")), CChar(UInt8(ascii: "L"))
        )
        var nn = Int32(n), lda = Int32(n), ldz = Int32(n)
        var il = Int32(n - rank + 1), iu = Int32(n)
        var vl = 0.0, vu = 0.0, abstol = 0.0
        var found: Int32 = 0, info: Int32 = 0
        var values = [Double](repeating: 0, count: n)
        var z = [Double](repeating: 0, count: n * rank)
        var support = [Int32](repeating: 0, count: 2 * max(rank, 1))
        var workSize = 0.0, iworkSize: Int32 = 0, query: Int32 = -1
        dsyevr_(
            &jobz, &range, &uplo, &nn, &a, &lda, &vl, &vu, &il, &iu, &abstol, &found, &values, &z, &ldz,
            &support, &workSize, &query, &iworkSize, &query, &info)
        guard info == 0 else { throw .solverFailed(code: info) }
        var lwork = Int32(workSize), liwork = iworkSize
        var work = [Double](repeating: 0, count: Int(lwork))
        var iwork = [Int32](repeating: 0, count: Int(liwork))
        dsyevr_(
            &jobz, &range, &uplo, &nn, &a, &lda, &vl, &vu, &il, &iu, &abstol, &found, &values, &z, &ldz,
            &support, &work, &lwork, &iwork, &liwork, &info)
        guard info == 0, Int(found) == rank else { throw .solverFailed(code: info) }

        // Ascending from LAPACK; keep descending, signs fixed.
        var basis = [Double](repeating: 0, count: n * rank)
        var variances: [Double] = []
        for j in 0..<rank {
            let source = rank - 1 - j
            let column = z[(source * n)..<((source + 1) * n)]
            var largest = column.startIndex
            for i in column.indices where abs(column[i]) > abs(column[largest]) { largest = i }
            let sign: Double = column[largest] < 0 ? -1 : 1
            for (i, v) in column.enumerated() { basis[i * rank + j] = sign * v }
            variances.append(max(values[source], 0))
        }
        let residual = max(total - variances.reduce(0, +), 0) / Double(n)
        return PrincipalSubspace(dimension: n, rank: rank, mean: mean, basis: basis, variances: variances, residualMSE: residual)
    }

    /// Fits from accumulated moments.
    public static func fit(_ moments: SecondMoments, rank: Int) throws(FitError) -> PrincipalSubspace {
        guard moments.count > 0 else { throw .shapes("no vectors to fit") }
        return try fit(mean: moments.mean, covariance: moments.covariance, rank: rank)
    }

    /// Sum of squared reconstruction errors of `rows` vectors stored row after row.
    public func squaredError(_ values: UnsafeBufferPointer<Float>, rows: Int) -> Double {
        let d = dimension, k = rank
        precondition(values.count >= rows * d, "PrincipalSubspace: \(values.count) values for \(rows) rows of \(d)")
        let block = 256
        var centred = [Double](repeating: 0, count: block * d)
        var codes = [Double](repeating: 0, count: block * k)
        var total = 0.0
        var start = 0
        while start < rows {
            let n = min(block, rows - start)
            for r in 0..<n {
                for j in 0..<d { centred[r * d + j] = Double(values[(start + r) * d + j]) - mean[j] }
            }
            // codes = X B; X -= codes Bᵀ leaves the residual.
            cblas_dgemm(
                CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(n), Int32(k), Int32(d), 1, centred, Int32(d),
                basis, Int32(k), 0, &codes, Int32(k))
            cblas_dgemm(
                CblasRowMajor, CblasNoTrans, CblasTrans, Int32(n), Int32(d), Int32(k), -1, codes, Int32(k),
                basis, Int32(k), 1, &centred, Int32(d))
            for i in 0..<(n * d) { total += centred[i] * centred[i] }
            start += n
        }
        return total
    }
}
