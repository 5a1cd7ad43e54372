import XCTest

@testable import PluginKit

final class DenseTests: XCTestCase {
    /// (batch, inputSize, outputSize): batch 1, odd sizes, a single input and a single output.
    private let shapes = [(1, 3, 2), (5, 7, 3), (4, 1, 6), (3, 9, 1)]

    private func makeDense(_ shape: (Int, Int, Int), _ activation: Activation, seed: UInt64) -> Dense {
        var rng = SeededGenerator(seed: seed)
        let dense = Dense(inputSize: shape.1, outputSize: shape.2, activation: activation, name: "d", rng: &rng)
        // Non-zero bias so the bias enters the check with a realistic value.
        dense.bias.value = MathTestSupport.randomMatrix(rows: 1, cols: shape.2, rng: &rng, low: -0.5, high: 0.5)
        return dense
    }

    /// Smallest |z| of the pre-activation, computed naively; relu's finite
    /// differences are only valid when no perturbation crosses z = 0.
    private func smallestPreActivation(_ dense: Dense, _ x: Matrix) -> Float {
        var smallest = Float.infinity
        for r in 0..<x.rows {
            for c in 0..<dense.outputSize {
                var z = Double(dense.bias.value[0, c])
                for i in 0..<dense.inputSize { z += Double(x[r, i]) * Double(dense.weight.value[i, c]) }
                smallest = min(smallest, Float(abs(z)))
            }
        }
        return smallest
    }

    func testGradientsMatchFiniteDifferencesForEveryActivation() {
        for activation in Activation.allCases {
            for (index, shape) in shapes.enumerated() {
                let eps: Float = activation == .relu ? 1e-3 : 1e-2
                var seed = UInt64(100 * index + 1)
                var dense = makeDense(shape, activation, seed: seed)
                var rng = SeededGenerator(seed: seed &+ 77)
                var x = MathTestSupport.randomMatrix(rows: shape.0, cols: shape.1, rng: &rng)
                if activation == .relu {
                    // Re-draw until every |z| clears the perturbation (|Δz| <= eps * max(|x|, |w|, 1)).
                    var attempts = 0
                    while smallestPreActivation(dense, x) < 10 * eps && attempts < 500 {
                        seed &+= 1000
                        dense = makeDense(shape, activation, seed: seed)
                        rng = SeededGenerator(seed: seed &+ 77)
                        x = MathTestSupport.randomMatrix(rows: shape.0, cols: shape.1, rng: &rng)
                        attempts += 1
                    }
                    XCTAssertLessThan(attempts, 500, "no kink-free relu sample found")
                }
                let r = MathTestSupport.randomMatrix(rows: shape.0, cols: shape.2, rng: &rng)
                let result = MathTestSupport.checkGradients(
                    of: dense, input: x, weights: r, eps: eps,
                    tolerance: 5e-4)
                XCTAssertEqual(result.checked, shape.1 * shape.2 + shape.2 + shape.0 * shape.1)
                XCTAssertGreaterThan(result.maxAnalytic, 0.05, "\(activation) \(shape): gradients vanish, check is vacuous")
            }
        }
    }

    func testParameterNamesShapesAndInitialisation() {
        var rng = SeededGenerator(seed: 5)
        let dense = Dense(inputSize: 40, outputSize: 24, activation: .tanh, name: "encoder.0", rng: &rng)
        XCTAssertEqual(dense.weights.map(\.name), ["encoder.0.weight", "encoder.0.bias"])
        XCTAssertEqual(dense.weight.value.rows, 40)
        XCTAssertEqual(dense.weight.value.cols, 24)
        XCTAssertEqual(dense.bias.value, Matrix(rows: 1, cols: 24))
        XCTAssertEqual(dense.weight.gradient, Matrix(rows: 40, cols: 24))
        // Glorot uniform: within ±sqrt(6 / (in + out)), spread over the range, mean ~ 0.
        let limit = (6.0 / 64.0).squareRoot()
        let w = dense.weight.value.values
        XCTAssertTrue(w.allSatisfy { abs(Double($0)) < limit })
        XCTAssertGreaterThan(Double(w.max()!), 0.9 * limit)
        XCTAssertLessThan(Double(w.min()!), -0.9 * limit)
        XCTAssertEqual(w.reduce(0.0) { $0 + Double($1) } / Double(w.count), 0, accuracy: 0.03)
    }

    func testForwardMatchesNaiveComputation() {
        var rng = SeededGenerator(seed: 6)
        let dense = Dense(inputSize: 4, outputSize: 3, activation: .sigmoid, name: "d", rng: &rng)
        dense.bias.value = Matrix(rows: 1, cols: 3, values: [0.1, -0.2, 0.3])
        let x = MathTestSupport.randomMatrix(rows: 2, cols: 4, rng: &rng)
        let y = dense.forward(x, training: true)
        for r in 0..<2 {
            for c in 0..<3 {
                var z = Double(dense.bias.value[0, c])
                for i in 0..<4 { z += Double(x[r, i]) * Double(dense.weight.value[i, c]) }
                XCTAssertEqual(Double(y[r, c]), 1 / (1 + exp(-z)), accuracy: 1e-6)
            }
        }
        XCTAssertEqual(dense.forward(x, training: false), y, "inference and training forward must agree")
    }

    /// Two batches' backward calls accumulate: grads == gradA + gradB.
    func testGradientsAccumulateAcrossBackwardCalls() {
        var rng = SeededGenerator(seed: 7)
        let dense = Dense(inputSize: 6, outputSize: 4, activation: .tanh, name: "d", rng: &rng)
        let xA = MathTestSupport.randomMatrix(rows: 3, cols: 6, rng: &rng)
        let xB = MathTestSupport.randomMatrix(rows: 5, cols: 6, rng: &rng)
        let gA = MathTestSupport.randomMatrix(rows: 3, cols: 4, rng: &rng)
        let gB = MathTestSupport.randomMatrix(rows: 5, cols: 4, rng: &rng)

        func gradients(_ batches: [(Matrix, Matrix)]) -> [Matrix] {
            for p in dense.weights { p.zeroGradient() }
            for (x, g) in batches {
                _ = dense.forward(x, training: true)
                _ = dense.backward(g, needInputGradient: false)
            }
            return dense.weights.map(\.gradient)
        }
        let onlyA = gradients([(xA, gA)])
        let onlyB = gradients([(xB, gB)])
        let both = gradients([(xA, gA), (xB, gB)])
        XCTAssertGreaterThan(onlyA[0].values.map(abs).max()!, 0.01)
        for (p, combined) in both.enumerated() {
            for i in combined.values.indices {
                XCTAssertEqual(combined.values[i], onlyA[p].values[i] + onlyB[p].values[i], accuracy: 1e-5)
            }
        }

        // Two backward calls for one forward equal one call with the summed gradient.
        let g2 = MathTestSupport.randomMatrix(rows: 3, cols: 4, rng: &rng)
        for p in dense.weights { p.zeroGradient() }
        _ = dense.forward(xA, training: true)
        let dx1 = dense.backward(gA, needInputGradient: true)!
        let dx2 = dense.backward(g2, needInputGradient: true)!
        let twice = dense.weights.map(\.gradient)
        var summed = gA
        for i in summed.values.indices { summed.values[i] += g2.values[i] }
        for p in dense.weights { p.zeroGradient() }
        _ = dense.forward(xA, training: true)
        let dxSum = dense.backward(summed, needInputGradient: true)!
        for (p, once) in dense.weights.map(\.gradient).enumerated() {
            for i in once.values.indices { XCTAssertEqual(twice[p].values[i], once.values[i], accuracy: 1e-5) }
        }
        for i in dxSum.values.indices { XCTAssertEqual(dx1.values[i] + dx2.values[i], dxSum.values[i], accuracy: 1e-5) }
    }

    func testNeedInputGradientFalseReturnsNilButStillAccumulates() {
        var rng = SeededGenerator(seed: 8)
        let dense = Dense(inputSize: 3, outputSize: 2, activation: .relu, name: "d", rng: &rng)
        let x = MathTestSupport.randomMatrix(rows: 4, cols: 3, rng: &rng)
        _ = dense.forward(x, training: true)
        XCTAssertNil(dense.backward(Matrix(rows: 4, cols: 2, repeating: 1), needInputGradient: false))
        XCTAssertNotEqual(dense.bias.gradient, Matrix(rows: 1, cols: 2))
    }

    /// The reused output buffers must never leak into values the caller holds,
    /// and an inference forward between training forward and backward must not
    /// change what backward computes.
    func testBufferReuseKeepsValueSemanticsAndTrainingCache() {
        var rng = SeededGenerator(seed: 9)
        let dense = Dense(inputSize: 5, outputSize: 4, activation: .tanh, name: "d", rng: &rng)
        let x1 = MathTestSupport.randomMatrix(rows: 3, cols: 5, rng: &rng)
        let x2 = MathTestSupport.randomMatrix(rows: 3, cols: 5, rng: &rng)
        let g = MathTestSupport.randomMatrix(rows: 3, cols: 4, rng: &rng)

        let y1 = dense.forward(x1, training: true)
        let y1Copy = Matrix(rows: y1.rows, cols: y1.cols, values: Array(y1.values))
        let dxReference = dense.backward(g, needInputGradient: true)!
        let gradReference = dense.weights.map(\.gradient)

        for _ in 0..<3 { _ = dense.forward(x2, training: true) }
        let yInference = dense.forward(x2, training: false)
        XCTAssertEqual(y1, y1Copy, "a later forward overwrote an earlier result")
        XCTAssertNotEqual(yInference, y1)

        for p in dense.weights { p.zeroGradient() }
        _ = dense.forward(x1, training: true)
        _ = dense.forward(x2, training: false)
        let dx = dense.backward(g, needInputGradient: true)!
        XCTAssertEqual(dx, dxReference)
        XCTAssertEqual(dense.weights.map(\.gradient), gradReference)
    }

    /// With the output consumed the way the next layer consumes it (kept until the
    /// following step), training reuses two output buffers instead of allocating.
    func testTrainingOutputBuffersAreReused() {
        var rng = SeededGenerator(seed: 10)
        let dense = Dense(inputSize: 8, outputSize: 8, activation: .tanh, name: "d", rng: &rng)
        let x = MathTestSupport.randomMatrix(rows: 16, cols: 8, rng: &rng)
        var heldByConsumer: Matrix?
        var addresses: [UnsafePointer<Float>?] = []
        // Same-sized live allocations soak up freed blocks, so a copy-on-write
        // copy cannot masquerade as reuse by getting a recycled address.
        var ballast: [[Float]] = []
        for _ in 0..<4 {
            let y = dense.forward(x, training: true)
            addresses.append(y.values.withUnsafeBufferPointer { $0.baseAddress })
            heldByConsumer = y
            _ = dense.backward(y, needInputGradient: true)
            for _ in 0..<4 { ballast.append([Float](repeating: 1, count: y.values.count)) }
        }
        XCTAssertEqual(ballast.count, 16)
        XCTAssertNotNil(heldByConsumer)
        XCTAssertEqual(addresses[0], addresses[2])
        XCTAssertEqual(addresses[1], addresses[3])
        XCTAssertNotEqual(addresses[0], addresses[1])
    }
}
