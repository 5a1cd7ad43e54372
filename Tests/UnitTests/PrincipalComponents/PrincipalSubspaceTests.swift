import PrincipalComponents
import XCTest

/// Moments and principal subspaces against their definitions, computed the slow way.
final class PrincipalSubspaceTests: XCTestCase {
    /// A random orthonormal basis of R^n (Gram-Schmidt on seeded values).
    private func orthonormal(_ n: Int, seed: UInt64) -> [[Double]] {
        var state = seed
        func next() -> Double {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Double(state >> 11) / Double(1 << 53) - 0.5
        }
        var q: [[Double]] = []
        while q.count < n {
            var v = (0..<n).map { _ in next() }
            for u in q {
                let d = zip(u, v).map(*).reduce(0, +)
                v = zip(v, u).map { $0 - d * $1 }
            }
            let norm = v.map { $0 * $0 }.reduce(0, +).squareRoot()
            if norm > 1e-6 { q.append(v.map { $0 / norm }) }
        }
        return q
    }

    func testMomentsMatchTheTwoPassDefinitionEvenOnALargeLevel() {
        // Price-like rows: a level of 1000 and small movements, where naive sums cancel.
        let d = 5, rows = 700
        var values: [Float] = []
        for r in 0..<rows { for j in 0..<d { values.append(1000 + Float(sin(Double(r * 7 + j * 3)) * 0.01)) } }
        var moments = SecondMoments(dimension: d)
        values.withUnsafeBufferPointer { moments.add(UnsafeBufferPointer(rebasing: $0[0..<(300 * d)]), rows: 300) }
        values.withUnsafeBufferPointer { moments.add(UnsafeBufferPointer(rebasing: $0[(300 * d)...]), rows: 400) }
        XCTAssertEqual(moments.count, rows)

        let x = values.map(Double.init)
        let mean = (0..<d).map { j in (0..<rows).map { x[$0 * d + j] }.reduce(0, +) / Double(rows) }
        for j in 0..<d { XCTAssertEqual(moments.mean[j], mean[j], accuracy: 1e-9) }
        let c = moments.covariance
        for i in 0..<d {
            for j in 0..<d {
                let expected =
                    (0..<rows).map { (x[$0 * d + i] - mean[i]) * (x[$0 * d + j] - mean[j]) }.reduce(0, +) / Double(rows)
                XCTAssertEqual(c[i * d + j], expected, accuracy: 1e-10, "covariance[\(i), \(j)]")
                XCTAssertEqual(c[i * d + j], c[j * d + i], "symmetric")
            }
        }
        XCTAssertGreaterThan(c[0], 1e-6, "the movements survive the level")
    }

    func testFitFindsTheLeadingEigenvectorsWithFixedSigns() throws {
        let n = 6
        let q = orthonormal(n, seed: 7)
        let variances = [5.0, 3.0, 1.0, 0.5, 0.25, 0.125]
        var covariance = [Double](repeating: 0, count: n * n)
        for k in 0..<n { for i in 0..<n { for j in 0..<n { covariance[i * n + j] += variances[k] * q[k][i] * q[k][j] } } }
        let mean = (0..<n).map(Double.init)

        let s = try PrincipalSubspace.fit(mean: mean, covariance: covariance, rank: 3)
        XCTAssertEqual(s.rank, 3)
        XCTAssertEqual(s.mean, mean)
        for k in 0..<3 {
            XCTAssertEqual(s.variances[k], variances[k], accuracy: 1e-12)
            let column = (0..<n).map { s.basis[$0 * 3 + k] }
            let alignment = zip(column, q[k]).map(*).reduce(0, +)
            XCTAssertEqual(abs(alignment), 1, accuracy: 1e-10, "component \(k) is eigenvector \(k)")
            let largest = column.max { abs($0) < abs($1) }!
            XCTAssertGreaterThan(largest, 0, "the entry of largest magnitude is positive")
        }
        XCTAssertEqual(s.residualMSE, (0.5 + 0.25 + 0.125) / Double(n), accuracy: 1e-12)
    }

    func testTheSubspaceIsOptimalOnTheDataItWasFittedOn() throws {
        // On its own data, PCA's squared error is the variance it leaves out, and no
        // other subspace of the same rank (here: the first coordinate axes) does better.
        let d = 8, rows = 500, rank = 3
        var values: [Float] = []
        for r in 0..<rows {
            let t = Double(r)
            for j in 0..<d {
                values.append(Float(sin(t * 0.1 + Double(j) * 0.4) + 0.3 * cos(t * 0.37 * Double(j + 1)) + 0.05 * Double(j)))
            }
        }
        var moments = SecondMoments(dimension: d)
        values.withUnsafeBufferPointer { moments.add($0, rows: rows) }
        let s = try PrincipalSubspace.fit(moments, rank: rank)
        let error = values.withUnsafeBufferPointer { s.squaredError($0, rows: rows) } / Double(rows * d)
        XCTAssertEqual(error, s.residualMSE, accuracy: 1e-6 * s.residualMSE + 1e-12)

        let other = try PrincipalSubspace.fit(mean: moments.mean, covariance: moments.covariance, rank: rank)
        XCTAssertEqual(other.basis, s.basis, "the same statistics give the same basis")
        var naive = 0.0
        let mean = moments.mean
        for r in 0..<rows { for j in rank..<d { let v = Double(values[r * d + j]) - mean[j]; naive += v * v } }
        XCTAssertLessThan(error, naive / Double(rows * d))
    }

    func testRefusesBadRanksShapesAndValues() {
        XCTAssertThrowsError(try PrincipalSubspace.fit(mean: [0, 0], covariance: [1, 0, 0, 1], rank: 3)) {
            XCTAssertEqual($0 as? PrincipalSubspace.FitError, .invalidRank(rank: 3, dimension: 2))
        }
        XCTAssertThrowsError(try PrincipalSubspace.fit(mean: [0, 0], covariance: [1, 0, 0, 1], rank: 0))
        XCTAssertThrowsError(try PrincipalSubspace.fit(mean: [0, 0], covariance: [1, 0, 0], rank: 1))
        XCTAssertThrowsError(try PrincipalSubspace.fit(mean: [0, .nan], covariance: [1, 0, 0, 1], rank: 1)) {
            XCTAssertEqual($0 as? PrincipalSubspace.FitError, .notFinite)
        }
        XCTAssertThrowsError(try PrincipalSubspace.fit(SecondMoments(dimension: 2), rank: 1), "no vectors")
    }
}
