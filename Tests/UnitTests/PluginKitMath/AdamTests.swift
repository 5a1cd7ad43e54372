import XCTest

@testable import PluginKit

final class AdamTests: XCTestCase {
    /// Hand-computed Keras-form update: lr_t = lr·sqrt(1-β2^t)/(1-β1^t),
    /// w -= lr_t · m / (sqrt(v) + ε), with g = grad + l2·w.
    func testFirstTwoStepsMatchHandComputedUpdate() {
        for l2 in [Float(0), Float(0.1)] {
            let lr = 0.01, b1 = 0.9, b2 = 0.999, eps = 1e-7
            let w0: [Float] = [1, -2, 0.5, 0]
            let grads: [[Float]] = [[0.1, -0.3, 0, 2], [-0.2, -0.1, 0.05, 1]]
            let p = Weight(name: "p", value: Matrix(rows: 2, cols: 2, values: w0))
            let adam = Adam(learningRate: Float(lr), epsilon: Float(eps), l2: l2)

            var w = w0.map(Double.init)
            var m = [Double](repeating: 0, count: 4), v = m
            for (t, grad) in grads.enumerated() {
                p.gradient = Matrix(rows: 2, cols: 2, values: grad)
                adam.step([p])
                let step = Double(t + 1)
                let lrT = lr * (1 - pow(b2, step)).squareRoot() / (1 - pow(b1, step))
                for i in 0..<4 {
                    let g = Double(grad[i]) + Double(l2) * w[i]
                    m[i] = b1 * m[i] + (1 - b1) * g
                    v[i] = b2 * v[i] + (1 - b2) * g * g
                    w[i] -= lrT * m[i] / (v[i].squareRoot() + eps)
                    XCTAssertEqual(Double(p.value.values[i]), w[i], accuracy: 1e-6, "l2 \(l2) step \(t + 1) element \(i)")
                }
                XCTAssertEqual(adam.stepCount, t + 1)
                XCTAssertEqual(p.gradient, Matrix(rows: 2, cols: 2), "step must clear the gradient")
            }
        }
    }

    /// The update runs 8 lanes at a time plus a scalar tail: every element, in a lane or in the
    /// tail, must get exactly the Float formula (no reassociation, no fused multiply-add).
    func testLanesAndTailComputeTheScalarFormulaBitForBit() {
        let n = 21  // two full lanes of 8 and a tail of 5
        var rng = SeededGenerator(seed: 5)
        let w0 = (0..<n).map { _ in Float.random(in: -2...2, using: &rng) }
        let p = Weight(name: "p", value: Matrix(rows: 3, cols: 7, values: w0))
        let adam = Adam(learningRate: 0.003, epsilon: 1e-7, l2: 0.01)
        var w = w0, m = [Float](repeating: 0, count: n), v = m
        var b1t: Double = 1, b2t: Double = 1
        for step in 1...3 {
            let grad = (0..<n).map { _ in Float.random(in: -1...1, using: &rng) }
            p.gradient = Matrix(rows: 3, cols: 7, values: grad)
            adam.step([p])
            b1t *= Double(Float(0.9))  // as Adam keeps β^t: its Float β, in Double
            b2t *= Double(Float(0.999))
            let rate = Float(0.003 * (1 - b2t).squareRoot() / (1 - b1t))
            for i in 0..<n {
                let g = grad[i] + 0.01 * w[i]
                m[i] = 0.9 * m[i] + (1 - 0.9) * g
                v[i] = 0.999 * v[i] + (1 - 0.999) * g * g
                w[i] -= rate * m[i] / (v[i].squareRoot() + 1e-7)
            }
            XCTAssertEqual(p.value.values, w, "step \(step)")
        }
    }

    func testFirstStepIsLearningRateTimesSign() {
        let p = Weight(name: "p", value: Matrix(rows: 1, cols: 3, values: [1, 1, 1]))
        p.gradient = Matrix(rows: 1, cols: 3, values: [5, -0.01, 0])
        Adam(learningRate: 0.1).step([p])
        XCTAssertEqual(p.value.values[0], 0.9, accuracy: 1e-5)
        XCTAssertEqual(p.value.values[1], 1.1, accuracy: 1e-4)
        XCTAssertEqual(p.value.values[2], 1, "zero gradient, no l2: no movement")
    }

    /// Fits y = x·W* + b* with a linear Dense layer and MSE.
    func testReducesRegressionLoss() {
        var rng = SeededGenerator(seed: 31)
        let trueW = MathTestSupport.randomMatrix(rows: 3, cols: 2, rng: &rng)
        let trueB = Matrix(rows: 1, cols: 2, values: [0.5, -0.25])
        let x = MathTestSupport.randomMatrix(rows: 32, cols: 3, rng: &rng)
        var target = Matrix(rows: 0, cols: 0)
        BLAS.gemm(x, transposeA: false, trueW, transposeB: false, into: &target)
        for r in 0..<target.rows { for c in 0..<2 { target[r, c] += trueB[0, c] } }

        let dense = Dense(inputSize: 3, outputSize: 2, activation: .linear, name: "fit", rng: &rng)
        let adam = Adam(learningRate: 0.05)
        func lossAndGradient(_ y: Matrix) -> (Double, Matrix) {
            var grad = y
            var loss = 0.0
            let n = Float(y.values.count)
            for i in y.values.indices {
                let d = y.values[i] - target.values[i]
                loss += Double(d * d)
                grad.values[i] = 2 * d / n
            }
            return (loss / Double(n), grad)
        }
        let initial = lossAndGradient(dense.forward(x, training: false)).0
        for _ in 0..<400 {
            let (_, grad) = lossAndGradient(dense.forward(x, training: true))
            _ = dense.backward(grad, needInputGradient: false)
            adam.step(dense.weights)
        }
        let final = lossAndGradient(dense.forward(x, training: false)).0
        XCTAssertEqual(adam.stepCount, 400)
        XCTAssertGreaterThan(initial, 0.1)
        XCTAssertLessThan(final, initial * 1e-3, "initial \(initial), final \(final)")
        for i in trueW.values.indices { XCTAssertEqual(dense.weight.value.values[i], trueW.values[i], accuracy: 0.02) }
    }

    func testL2ShrinksWeightsWithoutGradient() {
        let p = Weight(name: "p", value: Matrix(rows: 1, cols: 2, values: [2, -2]))
        let adam = Adam(learningRate: 0.01, l2: 0.5)
        for _ in 0..<10 { adam.step([p]) }
        XCTAssertLessThan(p.value.values[0], 2)
        XCTAssertGreaterThan(p.value.values[1], -2)
        XCTAssertEqual(p.value.values[0], -p.value.values[1])
    }
}
