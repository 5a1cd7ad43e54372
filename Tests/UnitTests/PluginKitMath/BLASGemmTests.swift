import XCTest

@testable import PluginKit

final class BLASGemmTests: XCTestCase {
    override class func setUp() {
        super.setUp()
        BLAS.configureSingleThreaded()
    }

    private func assertClose(
        _ c: Matrix, _ expected: [Double], rows: Int, cols: Int,
        tolerance: Double = 1e-5, file: StaticString = #filePath, line: UInt = #line
    ) {
        XCTAssertEqual(c.rows, rows, file: file, line: line)
        XCTAssertEqual(c.cols, cols, file: file, line: line)
        XCTAssertEqual(c.values.count, expected.count, file: file, line: line)
        for i in 0..<min(c.values.count, expected.count) {
            let diff = abs(Double(c.values[i]) - expected[i])
            if diff > tolerance * (1 + abs(expected[i])) {
                XCTFail("element \(i): \(c.values[i]) vs \(expected[i])", file: file, line: line)
                return
            }
        }
    }

    /// All four transpose combinations on odd, non-square shapes (so a wrong
    /// leading dimension or a swapped transpose cannot go unnoticed).
    func testAllTransposeCombinationsMatchNaiveProduct() {
        var rng = SeededGenerator(seed: 11)
        let (m, k, n) = (5, 7, 3)
        for transposeA in [false, true] {
            for transposeB in [false, true] {
                let a = MathTestSupport.randomMatrix(rows: transposeA ? k : m, cols: transposeA ? m : k, rng: &rng)
                let b = MathTestSupport.randomMatrix(rows: transposeB ? n : k, cols: transposeB ? k : n, rng: &rng)
                var c = Matrix(rows: 0, cols: 0)
                BLAS.gemm(a, transposeA: transposeA, b, transposeB: transposeB, into: &c, alpha: 0.7)
                let expected = MathTestSupport.naiveGemm(
                    a, transposeA: transposeA, b, transposeB: transposeB,
                    c: nil, alpha: 0.7, beta: 0)
                assertClose(c, expected, rows: m, cols: n)
            }
        }
    }

    func testBetaOneAccumulatesForAllTransposeCombinations() {
        var rng = SeededGenerator(seed: 12)
        let (m, k, n) = (4, 9, 6)
        for transposeA in [false, true] {
            for transposeB in [false, true] {
                let a = MathTestSupport.randomMatrix(rows: transposeA ? k : m, cols: transposeA ? m : k, rng: &rng)
                let b = MathTestSupport.randomMatrix(rows: transposeB ? n : k, cols: transposeB ? k : n, rng: &rng)
                let c0 = MathTestSupport.randomMatrix(rows: m, cols: n, rng: &rng)
                var c = c0
                BLAS.gemm(a, transposeA: transposeA, b, transposeB: transposeB, into: &c, alpha: 1.3, beta: 1)
                let expected = MathTestSupport.naiveGemm(
                    a, transposeA: transposeA, b, transposeB: transposeB,
                    c: c0, alpha: 1.3, beta: 1)
                assertClose(c, expected, rows: m, cols: n)
                // Accumulating twice adds the product twice.
                BLAS.gemm(a, transposeA: transposeA, b, transposeB: transposeB, into: &c, alpha: 1.3, beta: 1)
                let twice = MathTestSupport.naiveGemm(
                    a, transposeA: transposeA, b, transposeB: transposeB,
                    c: c0, alpha: 2.6, beta: 1)
                assertClose(c, twice, rows: m, cols: n)
            }
        }
    }

    func testBetaZeroResizesAndIgnoresOldContents() {
        var rng = SeededGenerator(seed: 13)
        let a = MathTestSupport.randomMatrix(rows: 3, cols: 2, rng: &rng)
        let b = MathTestSupport.randomMatrix(rows: 2, cols: 4, rng: &rng)
        var c = Matrix(rows: 1, cols: 1, repeating: .nan)
        BLAS.gemm(a, transposeA: false, b, transposeB: false, into: &c)
        let expected = MathTestSupport.naiveGemm(a, transposeA: false, b, transposeB: false, c: nil, alpha: 1, beta: 0)
        assertClose(c, expected, rows: 3, cols: 4)

        // Same shape, stale NaNs: beta == 0 must overwrite, not scale, them.
        c.values = [Float](repeating: .nan, count: 12)
        BLAS.gemm(a, transposeA: false, b, transposeB: false, into: &c)
        assertClose(c, expected, rows: 3, cols: 4)
    }

    func testLargerProductExercisesBlockedKernels() {
        var rng = SeededGenerator(seed: 14)
        let a = MathTestSupport.randomMatrix(rows: 130, cols: 67, rng: &rng)
        let b = MathTestSupport.randomMatrix(rows: 33, cols: 67, rng: &rng)
        var c = Matrix(rows: 0, cols: 0)
        BLAS.gemm(a, transposeA: false, b, transposeB: true, into: &c)
        let expected = MathTestSupport.naiveGemm(a, transposeA: false, b, transposeB: true, c: nil, alpha: 1, beta: 0)
        assertClose(c, expected, rows: 130, cols: 33, tolerance: 1e-4)
    }

    func testEmptyInnerDimensionLeavesOnlyBetaTerm() {
        let a = Matrix(rows: 2, cols: 0)
        let b = Matrix(rows: 0, cols: 3)
        var c = Matrix(rows: 2, cols: 3, repeating: 2)
        BLAS.gemm(a, transposeA: false, b, transposeB: false, into: &c, beta: 0.5)
        XCTAssertEqual(c, Matrix(rows: 2, cols: 3, repeating: 1))
        BLAS.gemm(a, transposeA: false, b, transposeB: false, into: &c)
        XCTAssertEqual(c, Matrix(rows: 2, cols: 3, repeating: 0))
    }

    func testEmptyBatch() {
        let a = Matrix(rows: 0, cols: 4)
        let b = Matrix(rows: 4, cols: 3, repeating: 1)
        var c = Matrix(rows: 5, cols: 5)
        BLAS.gemm(a, transposeA: false, b, transposeB: false, into: &c)
        XCTAssertEqual(c.rows, 0)
        XCTAssertEqual(c.cols, 3)
        XCTAssertTrue(c.values.isEmpty)
    }
}
