import XCTest

@testable import PluginKit

/// The products the layers run on blocks: a block inside a wider matrix, and tall products in
/// row blocks, against one plain `BLAS.gemm`.
final class BLASBlockTests: XCTestCase {
    static func assertClose(_ a: Matrix, _ b: Matrix, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(a.rows, b.rows, file: file, line: line)
        XCTAssertEqual(a.cols, b.cols, file: file, line: line)
        let worst = zip(a.values, b.values).map { abs($0 - $1) }.max() ?? 0
        XCTAssertLessThanOrEqual(worst, 1e-4, file: file, line: line)
    }

    /// Columns `first ..< first + count` of `m`, copied out.
    static func columns(_ m: Matrix, _ first: Int, _ count: Int) -> Matrix {
        var out = Matrix(rows: m.rows, cols: count)
        for r in 0..<m.rows { for c in 0..<count { out[r, c] = m[r, first + c] } }
        return out
    }

    func testProductsOfBlocksInsideWiderMatrices() {
        var rng = SeededGenerator(seed: 1)
        let a = MathTestSupport.randomMatrix(rows: 5, cols: 12, rng: &rng)
        let b = MathTestSupport.randomMatrix(rows: 7, cols: 12, rng: &rng)
        var c = MathTestSupport.randomMatrix(rows: 5, cols: 10, rng: &rng)
        let before = c
        // Columns 4..<7 of a times the transpose of columns 4..<7 of b, into columns 2..<9 of c.
        a.values.withUnsafeBufferPointer { pa in
            b.values.withUnsafeBufferPointer { pb in
                c.values.withUnsafeMutableBufferPointer { pc in
                    BLAS.gemm(
                        m: 5, n: 7, k: 3, pa.baseAddress! + 4, lda: 12, transposeA: false, pb.baseAddress! + 4, ldb: 12,
                        transposeB: true, into: pc.baseAddress! + 2, ldc: 10, alpha: 0.5)
                }
            }
        }
        var expected = Matrix(rows: 0, cols: 0)
        BLAS.gemm(Self.columns(a, 4, 3), transposeA: false, Self.columns(b, 4, 3), transposeB: true, into: &expected, alpha: 0.5)
        Self.assertClose(Self.columns(c, 2, 7), expected)
        // The columns outside the block are untouched.
        XCTAssertEqual(Self.columns(c, 0, 2), Self.columns(before, 0, 2))
        XCTAssertEqual(Self.columns(c, 9, 1), Self.columns(before, 9, 1))
    }

    func testRowBlockedProductsAgreeWithOneProduct() {
        var rng = SeededGenerator(seed: 2)
        // 64 x 32 leaves blocks of 488 rows: two full ones and a partial one.
        let a = MathTestSupport.randomMatrix(rows: 1_100, cols: 64, rng: &rng)
        let b = MathTestSupport.randomMatrix(rows: 64, cols: 32, rng: &rng)
        XCTAssertLessThan(BLAS.smallKernelRows(others: 64 * 32), a.rows / 2)
        var blocked = Matrix(rows: 0, cols: 0), plain = Matrix(rows: 0, cols: 0)
        BLAS.rowBlockedProduct(a, b, into: &blocked)
        BLAS.gemm(a, transposeA: false, b, transposeB: false, into: &plain)
        Self.assertClose(blocked, plain)

        // The gradient adds to what is there: aᵀ · g over all rows.
        let g = MathTestSupport.randomMatrix(rows: 1_100, cols: 32, rng: &rng)
        let start = MathTestSupport.randomMatrix(rows: 64, cols: 32, rng: &rng)
        var blockedGradient = start, plainGradient = start
        BLAS.rowBlockedGradient(a, g, into: &blockedGradient)
        BLAS.gemm(a, transposeA: true, g, transposeB: false, into: &plainGradient, beta: 1)
        Self.assertClose(blockedGradient, plainGradient)
    }
}
