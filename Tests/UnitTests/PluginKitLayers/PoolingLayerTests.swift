import XCTest

@testable import PluginKit

final class PoolingLayerTests: XCTestCase {
    /// Distinct values at least 0.05 apart, so a 1e-3 perturbation never moves an argmax.
    static func separatedInput(rows: Int, cols: Int, seed: UInt64) -> Matrix {
        var rng = SeededGenerator(seed: seed)
        var values = (0..<(rows * cols)).map { Float($0) * 0.05 - Float(rows * cols) * 0.025 }
        values.shuffle(using: &rng)
        return Matrix(rows: rows, cols: cols, values: values)
    }

    func testMaxPoolForwardAndGradients() {
        // (length, channels, pool, stride): default stride, overlapping, odd leftovers, batch 1.
        for (i, s) in [(8, 2, 2, nil), (9, 3, 3, 2), (7, 1, 2, nil), (5, 2, 5, nil)].enumerated() {
            let pool = MaxPool1D(inputLength: s.0, channels: s.1, poolSize: s.2, stride: s.3)
            let stride = s.3 ?? s.2
            XCTAssertEqual(pool.outputLength, (s.0 - s.2) / stride + 1)
            for batch in [1, 3] {
                let x = Self.separatedInput(rows: batch, cols: pool.inputSize, seed: UInt64(i * 10 + batch))
                let y = pool.forward(x, training: true)
                var expected = [Double]()
                for b in 0..<batch {
                    for t in 0..<pool.outputLength {
                        for c in 0..<s.1 {
                            expected.append((0..<s.2).map { Double(x[b, (t * stride + $0) * s.1 + c]) }.max()!)
                        }
                    }
                }
                LayerTestSupport.assertClose(y, expected, accuracy: 0)
                LayerTestSupport.checkGradients(
                    pool, batch: batch, inputSize: pool.inputSize,
                    outputSize: pool.outputSize, seed: UInt64(i), eps: 1e-3,
                    tolerance: 1e-3, input: x)
            }
        }
    }

    func testMaxPoolGradientGoesToTheArgmaxOnly() {
        let pool = MaxPool1D(inputLength: 4, channels: 1, poolSize: 2)
        let x = Matrix(rows: 1, cols: 4, values: [1, 3, 5, 2])
        XCTAssertEqual(pool.forward(x, training: true).values, [3, 5])
        _ = pool.forward(Matrix(rows: 1, cols: 4, values: [9, 0, 0, 9]), training: false)
        XCTAssertEqual(
            pool.backward(Matrix(rows: 1, cols: 2, values: [10, 20]), needInputGradient: true)?.values,
            [0, 10, 20, 0])
    }

    func testAveragePoolForwardAndGradients() {
        for (i, s) in [(8, 2, 2, nil), (9, 3, 3, 2), (7, 1, 3, 1)].enumerated() {
            let pool = AveragePool1D(inputLength: s.0, channels: s.1, poolSize: s.2, stride: s.3)
            let stride = s.3 ?? s.2
            for batch in [1, 2] {
                var rng = SeededGenerator(seed: UInt64(i * 10 + batch))
                let x = MathTestSupport.randomMatrix(rows: batch, cols: pool.inputSize, rng: &rng)
                var expected = [Double]()
                for b in 0..<batch {
                    for t in 0..<pool.outputLength {
                        for c in 0..<s.1 {
                            expected.append(
                                (0..<s.2).map { Double(x[b, (t * stride + $0) * s.1 + c]) }.reduce(0, +)
                                    / Double(s.2))
                        }
                    }
                }
                LayerTestSupport.assertClose(pool.forward(x, training: true), expected, accuracy: 1e-6)
                LayerTestSupport.checkGradients(
                    pool, batch: batch, inputSize: pool.inputSize,
                    outputSize: pool.outputSize, seed: UInt64(i))
            }
        }
    }

    func testUpSamplingRepeatsStepsAndSumsGradients() {
        let up = UpSampling1D(inputLength: 3, channels: 2, factor: 2)
        XCTAssertEqual(up.outputLength, 6)
        let x = Matrix(rows: 1, cols: 6, values: [1, 2, 3, 4, 5, 6])
        XCTAssertEqual(up.forward(x, training: true).values, [1, 2, 1, 2, 3, 4, 3, 4, 5, 6, 5, 6])
        let g = Matrix(rows: 1, cols: 12, values: (0..<12).map(Float.init))
        XCTAssertEqual(up.backward(g, needInputGradient: true)?.values, [2, 4, 10, 12, 18, 20])
        for (i, s) in [(5, 1, 3), (4, 3, 2)].enumerated() {
            let layer = UpSampling1D(inputLength: s.0, channels: s.1, factor: s.2)
            for batch in [1, 3] {
                LayerTestSupport.checkGradients(
                    layer, batch: batch, inputSize: layer.inputSize,
                    outputSize: layer.outputSize, seed: UInt64(i))
            }
        }
    }

    func testInferenceKeepsTrainingCaches() {
        let layers: [any SequenceLayer] = [
            MaxPool1D(inputLength: 9, channels: 2, poolSize: 3, stride: 2),
            AveragePool1D(inputLength: 9, channels: 2, poolSize: 3, stride: 2),
            UpSampling1D(inputLength: 5, channels: 2, factor: 3),
        ]
        for (i, layer) in layers.enumerated() {
            LayerTestSupport.checkInferenceKeepsTrainingCaches(
                layer, batch: 2, inputSize: layer.inputSize,
                outputSize: layer.outputSize, seed: UInt64(i))
            XCTAssertTrue(layer.weights.isEmpty)
        }
    }
}
