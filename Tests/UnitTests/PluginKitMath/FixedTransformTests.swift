import XCTest

@testable import PluginKit

final class FixedTransformTests: XCTestCase {
    func testDCTIsOrthonormalAndPutsTheLevelInTheFirstCoefficient() {
        let n = 16
        let d = FixedTransform.dct(n)
        var product = Matrix(rows: n, cols: n)
        BLAS.gemm(d, transposeA: true, d, transposeB: false, into: &product)
        for i in 0..<n { for j in 0..<n { XCTAssertEqual(product[i, j], i == j ? 1 : 0, accuracy: 1e-5) } }
        let level = FixedTransform(d).forward(Matrix(rows: 1, cols: n, repeating: 0.5), training: false)
        XCTAssertEqual(level[0, 0], 0.5 * Float(n).squareRoot(), accuracy: 1e-5)
        for k in 1..<n { XCTAssertEqual(level[0, k], 0, accuracy: 1e-5) }
    }

    func testInverseRestoresTheSignal() {
        var rng = SeededGenerator(seed: 4)
        let x = MathTestSupport.randomMatrix(rows: 3, cols: 12, rng: &rng)
        let d = FixedTransform.dct(12)
        let back = FixedTransform(FixedTransform.transpose(d)).forward(
            FixedTransform(d).forward(x, training: false), training: false)
        for i in 0..<x.values.count { XCTAssertEqual(back.values[i], x.values[i], accuracy: 1e-5) }
    }

    func testInputGradientMatchesFiniteDifferences() {
        var rng = SeededGenerator(seed: 5)
        for (rows, n) in [(1, 7), (4, 16)] {
            let layer = FixedTransform(FixedTransform.dct(n))
            let x = MathTestSupport.randomMatrix(rows: rows, cols: n, rng: &rng)
            let r = MathTestSupport.randomMatrix(rows: rows, cols: n, rng: &rng)
            let result = MathTestSupport.checkGradients(of: layer, input: x, weights: r, eps: 1e-2, tolerance: 5e-4)
            XCTAssertEqual(result.checked, rows * n)
            XCTAssertTrue(layer.weights.isEmpty, "a fixed transform is not trained")
        }
    }

    func testLayerSizesTaperTowardsTheInterface() {
        XCTAssertEqual(LayerSizes.tapering(count: 3, input: 128, initial: 0, divisor: 2, floor: 32), [64, 32, 32])
        XCTAssertEqual(LayerSizes.tapering(count: 2, input: 128, initial: 96, divisor: 3, floor: 8), [96, 32])
        XCTAssertEqual(LayerSizes.tapering(count: 0, input: 128, initial: 0, divisor: 2, floor: 8), [])
        XCTAssertEqual(LayerSizes.tapering(count: 1, input: 16, initial: 0, divisor: 2, floor: 12), [12])
    }
}
