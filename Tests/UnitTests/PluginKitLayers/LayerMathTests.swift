import XCTest

@testable import PluginKit

/// The sequence layers' shared kernels and initialisers.
final class LayerMathTests: XCTestCase {
    func testReluDerivativeMatchesActivation() {
        var rng = SeededGenerator(seed: 1)
        for n in [0, 1, 3, 4, 37] {
            var y = MathTestSupport.randomMatrix(rows: 1, cols: n, rng: &rng)
            if n > 2 { y.values[1] = 0 }
            let g = MathTestSupport.randomMatrix(rows: 1, cols: n, rng: &rng)
            var expected = Matrix(rows: 1, cols: n), buffer = Matrix(rows: 0, cols: 0)
            y.values.withUnsafeBufferPointer { yb in
                g.values.withUnsafeBufferPointer { gb in
                    expected.values.withUnsafeMutableBufferPointer {
                        Activation.relu.multiplyByDerivative(output: yb, gradient: gb, into: $0)
                    }
                }
            }
            XCTAssertEqual(LayerMath.preActivationGradient(.relu, output: y, gradient: g, buffer: &buffer), expected)
        }
    }

    /// The lane-wise maximum is the exact maximum wherever it sits (lanes, tail); the squared
    /// deviations match a Double reference.
    func testMaximumAndSquaredDeviations() {
        var rng = SeededGenerator(seed: 5)
        for n in [1, 7, 8, 9, 16, 23, 128] {
            for position in [0, n / 2, n - 1] {
                var x = MathTestSupport.randomMatrix(rows: 1, cols: n, rng: &rng)
                x.values[position] = 3
                x.values.withUnsafeBufferPointer { p in
                    XCTAssertEqual(LayerMath.maximum(p.baseAddress!, n), 3, "n \(n) at \(position)")
                    let mean = Float(x.values.reduce(0, +)) / Float(n)
                    let expected = x.values.reduce(0.0) { $0 + Double($1 - mean) * Double($1 - mean) }
                    XCTAssertEqual(
                        Double(LayerMath.sumOfSquaredDeviations(p.baseAddress!, n, mean: mean)), expected,
                        accuracy: 1e-5 * max(1, expected))
                }
            }
        }
    }

    func testBiasActivationSumAndDot() {
        var rng = SeededGenerator(seed: 2)
        for activation in Activation.allCases {
            let m = MathTestSupport.randomMatrix(rows: 300, cols: 7, rng: &rng)
            let bias = MathTestSupport.randomMatrix(rows: 1, cols: 7, rng: &rng)
            var fused = m, reference = m
            LayerMath.addBiasAndActivate(&fused, bias: bias, activation: activation)
            LayerMath.addRowVector(bias, to: &reference)
            activation.apply(&reference)
            XCTAssertEqual(fused, reference, "\(activation)")
        }
        let a = MathTestSupport.randomMatrix(rows: 1, cols: 19, rng: &rng)
        let b = MathTestSupport.randomMatrix(rows: 1, cols: 19, rng: &rng)
        a.values.withUnsafeBufferPointer { ap in
            b.values.withUnsafeBufferPointer { bp in
                XCTAssertEqual(
                    Double(LayerMath.sum(ap.baseAddress!, 19)), a.values.reduce(0.0) { $0 + Double($1) },
                    accuracy: 1e-5)
                XCTAssertEqual(
                    Double(LayerMath.dot(ap.baseAddress!, bp.baseAddress!, 19)),
                    LayerTestSupport.dot(a, b), accuracy: 1e-5)
            }
        }
    }

    func testInitialisers() {
        var rng = SeededGenerator(seed: 3)
        for (rows, cols) in [(4, 4), (6, 3), (3, 12)] {
            let q = LayerInitialization.orthogonal(rows: rows, cols: cols, rng: &rng)
            // Orthonormal columns (tall or square) or rows (wide).
            let k = min(rows, cols), n = max(rows, cols)
            for i in 0..<k {
                for j in 0..<k {
                    let s = (0..<n).reduce(0.0) {
                        $0 + (rows >= cols ? Double(q[$1, i]) * Double(q[$1, j]) : Double(q[i, $1]) * Double(q[j, $1]))
                    }
                    XCTAssertEqual(s, i == j ? 1 : 0, accuracy: 1e-5)
                }
            }
        }
        var a = SeededGenerator(seed: 4), b = SeededGenerator(seed: 4)
        XCTAssertEqual(
            LayerInitialization.orthogonal(rows: 3, cols: 8, rng: &a),
            LayerInitialization.orthogonal(rows: 3, cols: 8, rng: &b))
        let w = LayerInitialization.glorotUniform(rows: 10, cols: 20, fanIn: 30, fanOut: 60, rng: &rng)
        let limit = Float(6.0 / 90.0).squareRoot()
        XCTAssertTrue(w.values.allSatisfy { abs($0) <= limit })
        XCTAssertGreaterThan(w.values.max()!, 0.8 * limit)
    }
}
