import XCTest

@testable import PluginKit

final class DropoutLayerTests: XCTestCase {
    func testInferenceAndRateZeroAreIdentity() {
        var rng = SeededGenerator(seed: 1)
        let x = MathTestSupport.randomMatrix(rows: 3, cols: 7, rng: &rng)
        let dropout = Dropout(rate: 0.5, seed: 2)
        XCTAssertEqual(dropout.forward(x, training: false), x)
        let none = Dropout(rate: 0, seed: 2)
        XCTAssertEqual(none.forward(x, training: true), x)
        XCTAssertEqual(none.backward(x, needInputGradient: true), x)
        XCTAssertTrue(dropout.weights.isEmpty)
    }

    func testFractionDroppedAndScaling() {
        let x = Matrix(rows: 100, cols: 1000, repeating: 2)
        for rate: Float in [0.1, 0.3, 0.5] {
            let dropout = Dropout(rate: rate, seed: 3)
            let y = dropout.forward(x, training: true)
            let dropped = y.values.filter { $0 == 0 }.count
            let fraction = Double(dropped) / Double(y.values.count)
            XCTAssertEqual(fraction, Double(rate), accuracy: 0.01, "rate \(rate)")
            let kept = y.values.filter { $0 != 0 }
            XCTAssertTrue(kept.allSatisfy { $0 == 2 / (1 - rate) }, "kept values must be scaled by 1 / (1 - rate)")
            let mean = y.values.reduce(0.0) { $0 + Double($1) } / Double(y.values.count)
            XCTAssertEqual(mean, 2, accuracy: 0.03, "the expectation is preserved")
        }
    }

    func testSeededMasksAndGradient() {
        var rng = SeededGenerator(seed: 4)
        let x = MathTestSupport.randomMatrix(rows: 4, cols: 50, rng: &rng, low: 0.5, high: 1)
        let a = Dropout(rate: 0.4, seed: 9), b = Dropout(rate: 0.4, seed: 9), c = Dropout(rate: 0.4, seed: 10)
        let ya = LayerTestSupport.copy(a.forward(x, training: true))
        XCTAssertEqual(ya, b.forward(x, training: true), "same seed, same mask")
        XCTAssertNotEqual(ya, c.forward(x, training: true), "another seed, another mask")
        let ya2 = a.forward(x, training: true)
        XCTAssertNotEqual(ya, ya2, "each training forward draws a new mask")
        XCTAssertEqual(LayerTestSupport.copy(ya), ya, "a later forward overwrote an earlier result")

        // Backward applies the latest mask: dL/dx = g ⊙ y / x, and an inference forward does not change it.
        let g = MathTestSupport.randomMatrix(rows: 4, cols: 50, rng: &rng)
        _ = a.forward(x, training: false)
        let dx = a.backward(g, needInputGradient: true)!
        for i in x.values.indices {
            XCTAssertEqual(dx.values[i], g.values[i] * (ya2.values[i] / x.values[i]), accuracy: 1e-5)
        }
        XCTAssertNil(a.backward(g, needInputGradient: false))
    }
}
