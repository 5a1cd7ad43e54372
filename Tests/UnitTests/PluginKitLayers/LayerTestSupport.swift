import XCTest

@testable import PluginKit

/// Shared helpers for the sequence-layer tests (namespaced to avoid clashes in UnitTests).
enum LayerTestSupport {
    /// Finite-difference check of every parameter and every input element, asserting that
    /// every value was checked and that the gradients are not vacuously small.
    @discardableResult
    static func checkGradients(
        _ layer: any Layer, batch: Int, inputSize: Int, outputSize: Int, seed: UInt64,
        eps: Float = 1e-2, tolerance: Double = 1e-3, input: Matrix? = nil,
        file: StaticString = #filePath, line: UInt = #line
    ) -> MathTestSupport.GradientCheckResult {
        var rng = SeededGenerator(seed: seed)
        let x = input ?? MathTestSupport.randomMatrix(rows: batch, cols: inputSize, rng: &rng)
        let r = MathTestSupport.randomMatrix(rows: batch, cols: outputSize, rng: &rng)
        let result = MathTestSupport.checkGradients(
            of: layer, input: x, weights: r, eps: eps, tolerance: tolerance,
            file: file, line: line)
        let expected = layer.weights.reduce(0) { $0 + $1.value.values.count } + batch * inputSize
        XCTAssertEqual(result.checked, expected, "not every value was checked", file: file, line: line)
        XCTAssertGreaterThan(result.maxAnalytic, 0.05, "gradients vanish: the check is vacuous", file: file, line: line)
        return result
    }

    /// Sets every parameter to small random values (biases included), so that zero-initialised
    /// biases and unit gains also enter the gradient checks with generic values.
    static func randomizeParameters(_ layer: any Layer, seed: UInt64, scale: Float = 0.5) {
        var rng = SeededGenerator(seed: seed)
        for p in layer.weights {
            p.value = MathTestSupport.randomMatrix(
                rows: p.value.rows, cols: p.value.cols, rng: &rng,
                low: -scale, high: scale)
        }
    }

    static func copy(_ m: Matrix) -> Matrix { Matrix(rows: m.rows, cols: m.cols, values: Array(m.values)) }

    /// An inference forward between a training forward and its backward must not change what
    /// backward computes; a training output must not be overwritten by later forwards; and
    /// training and inference forwards agree (for deterministic layers).
    static func checkInferenceKeepsTrainingCaches(
        _ layer: any Layer, batch: Int, inputSize: Int, outputSize: Int,
        seed: UInt64, file: StaticString = #filePath, line: UInt = #line
    ) {
        var rng = SeededGenerator(seed: seed)
        let x1 = MathTestSupport.randomMatrix(rows: batch, cols: inputSize, rng: &rng)
        let x2 = MathTestSupport.randomMatrix(rows: batch + 1, cols: inputSize, rng: &rng)
        let x3 = MathTestSupport.randomMatrix(rows: batch, cols: inputSize, rng: &rng)
        let g = MathTestSupport.randomMatrix(rows: batch, cols: outputSize, rng: &rng)

        for p in layer.weights { p.zeroGradient() }
        let y1 = copy(layer.forward(x1, training: true))
        let dxReference = copy(layer.backward(g, needInputGradient: true)!)
        let gradReference = layer.weights.map { copy($0.gradient) }

        XCTAssertEqual(layer.forward(x1, training: false), y1, "inference and training forwards differ", file: file, line: line)

        for p in layer.weights { p.zeroGradient() }
        let held = layer.forward(x1, training: true)
        let inference = layer.forward(x2, training: false)  // another batch size, too
        XCTAssertEqual(inference.rows, batch + 1, file: file, line: line)
        _ = layer.forward(x3, training: false)  // and the same batch size
        let dx = layer.backward(g, needInputGradient: true)!
        XCTAssertEqual(dx, dxReference, "an inference forward changed the input gradient", file: file, line: line)
        XCTAssertEqual(
            layer.weights.map(\.gradient), gradReference,
            "an inference forward changed the parameter gradients", file: file, line: line)

        // Later training forwards must not write into a result the caller still holds.
        for _ in 0..<3 { _ = layer.forward(x3, training: true) }
        XCTAssertEqual(held, y1, "a later forward overwrote an earlier result", file: file, line: line)
    }

    /// Two layers built from the same seed are identical and compute identical results.
    static func checkDeterminism(
        _ make: (UInt64) -> any Layer, inputSize: Int, file: StaticString = #filePath,
        line: UInt = #line
    ) {
        let a = make(42), b = make(42), c = make(43)
        XCTAssertEqual(a.weights.map(\.name), b.weights.map(\.name), file: file, line: line)
        XCTAssertEqual(
            Set(a.weights.map(\.name)).count, a.weights.count, "parameter names must be unique",
            file: file, line: line)
        XCTAssertEqual(a.weights.map(\.value), b.weights.map(\.value), file: file, line: line)
        if !a.weights.isEmpty {
            XCTAssertNotEqual(
                a.weights.map(\.value), c.weights.map(\.value), "the seed is ignored",
                file: file, line: line)
        }
        var rng = SeededGenerator(seed: 7)
        let x = MathTestSupport.randomMatrix(rows: 3, cols: inputSize, rng: &rng)
        XCTAssertEqual(a.forward(x, training: true), b.forward(x, training: true), file: file, line: line)
    }

    static func dot(_ a: Matrix, _ b: Matrix) -> Double {
        precondition(a.values.count == b.values.count)
        var s = 0.0
        for i in a.values.indices { s += Double(a.values[i]) * Double(b.values[i]) }
        return s
    }

    static func activate(_ z: Double, _ activation: Activation) -> Double {
        switch activation {
        case .linear: return z
        case .tanh: return Foundation.tanh(z)
        case .relu: return max(z, 0)
        case .sigmoid: return 1 / (1 + Foundation.exp(-z))
        }
    }

    static func assertClose(
        _ actual: Matrix, _ expected: [Double], accuracy: Double,
        file: StaticString = #filePath, line: UInt = #line
    ) {
        XCTAssertEqual(actual.values.count, expected.count, file: file, line: line)
        var worst = 0.0
        for i in 0..<min(actual.values.count, expected.count) {
            worst = max(worst, abs(Double(actual.values[i]) - expected[i]))
        }
        XCTAssertLessThanOrEqual(worst, accuracy, "max deviation from the reference", file: file, line: line)
    }
}
