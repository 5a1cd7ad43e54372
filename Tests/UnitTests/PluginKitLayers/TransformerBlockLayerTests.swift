import XCTest

@testable import PluginKit

/// LayerNormalization, PositionalEncoding, PositionwiseFeedForward and Residual.
final class TransformerBlockLayerTests: XCTestCase {
    func testLayerNormalizationForwardAndGradients() {
        for (i, s) in [(1, 3, 4), (2, 5, 3), (3, 2, 8)].enumerated() {
            let ln = LayerNormalization(name: "ln", length: s.1, channels: s.2)
            LayerTestSupport.randomizeParameters(ln, seed: UInt64(i), scale: 1.5)
            var rng = SeededGenerator(seed: UInt64(10 + i))
            let x = MathTestSupport.randomMatrix(rows: s.0, cols: ln.inputSize, rng: &rng)
            var expected = [Double]()
            for b in 0..<s.0 {
                for t in 0..<s.1 {
                    let v = (0..<s.2).map { Double(x[b, t * s.2 + $0]) }
                    let mean = v.reduce(0, +) / Double(s.2)
                    let variance = v.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(s.2)
                    for c in 0..<s.2 {
                        expected.append(
                            Double(ln.gamma.value[0, c]) * (v[c] - mean) / (variance + 1e-5).squareRoot()
                                + Double(ln.beta.value[0, c]))
                    }
                }
            }
            LayerTestSupport.assertClose(ln.forward(x, training: true), expected, accuracy: 1e-5)
            LayerTestSupport.checkGradients(
                ln, batch: s.0, inputSize: ln.inputSize, outputSize: ln.outputSize,
                seed: UInt64(20 + i), eps: 1e-2, tolerance: 1e-3)
        }
        let ln = LayerNormalization(name: "norm", length: 2, channels: 3)
        XCTAssertEqual(ln.weights.map(\.name), ["norm.gamma", "norm.beta"])
        XCTAssertEqual(ln.gamma.value.values, [1, 1, 1])
        XCTAssertEqual(ln.beta.value.values, [0, 0, 0])
        LayerTestSupport.checkInferenceKeepsTrainingCaches(ln, batch: 2, inputSize: 6, outputSize: 6, seed: 3)
    }

    func testPositionalEncoding() {
        let pe = PositionalEncoding(length: 5, channels: 4)
        XCTAssertTrue(pe.weights.isEmpty)
        let x = Matrix(rows: 2, cols: 20, repeating: 1)
        let y = pe.forward(x, training: true)
        for b in 0..<2 {
            for t in 0..<5 {
                for c in 0..<4 {
                    let angle = Double(t) / pow(10_000, Double(2 * (c / 2)) / 4)
                    let expected = 1 + (c % 2 == 0 ? sin(angle) : cos(angle))
                    XCTAssertEqual(Double(y[b, t * 4 + c]), expected, accuracy: 1e-6)
                }
            }
        }
        XCTAssertEqual(pe.forward(x, training: false), y)
        for (i, s) in [(1, 3, 2), (2, 4, 5)].enumerated() {
            let layer = PositionalEncoding(length: s.1, channels: s.2)
            LayerTestSupport.checkGradients(
                layer, batch: s.0, inputSize: layer.inputSize,
                outputSize: layer.outputSize, seed: UInt64(i))
        }
        LayerTestSupport.checkInferenceKeepsTrainingCaches(pe, batch: 2, inputSize: 20, outputSize: 20, seed: 1)
    }

    func testPositionwiseFeedForward() {
        for (i, s) in [(1, 3, 2, 5), (2, 4, 3, 4)].enumerated() {
            var rng = SeededGenerator(seed: UInt64(i))
            let ff = PositionwiseFeedForward(
                name: "ff", length: s.1, channels: s.2, hidden: s.3, activation: .tanh,
                rng: &rng)
            LayerTestSupport.randomizeParameters(ff, seed: UInt64(10 + i))
            // Every step goes through the same two maps.
            let x = MathTestSupport.randomMatrix(rows: s.0, cols: ff.inputSize, rng: &rng)
            let y = ff.forward(x, training: true)
            for b in 0..<s.0 {
                for t in 0..<s.1 {
                    let step = Matrix(rows: 1, cols: s.2, values: Array(x.values[(b * s.1 + t) * s.2..<(b * s.1 + t + 1) * s.2]))
                    let expected = ff.output.forward(ff.hidden.forward(step, training: false), training: false)
                    for c in 0..<s.2 { XCTAssertEqual(y[b, t * s.2 + c], expected[0, c], accuracy: 1e-6) }
                }
            }
            LayerTestSupport.checkGradients(
                ff, batch: s.0, inputSize: ff.inputSize, outputSize: ff.outputSize,
                seed: UInt64(20 + i), tolerance: 5e-4)
        }
        var rng = SeededGenerator(seed: 3)
        let ff = PositionwiseFeedForward(name: "ff", length: 3, channels: 2, hidden: 4, activation: .relu, rng: &rng)
        XCTAssertEqual(ff.weights.map(\.name), ["ff.hidden.weight", "ff.hidden.bias", "ff.output.weight", "ff.output.bias"])
        LayerTestSupport.checkInferenceKeepsTrainingCaches(ff, batch: 2, inputSize: 6, outputSize: 6, seed: 2)
        LayerTestSupport.checkDeterminism(
            { seed in
                var r = SeededGenerator(seed: seed)
                return PositionwiseFeedForward(name: "ff", length: 3, channels: 2, hidden: 4, activation: .relu, rng: &r)
            }, inputSize: 6)
    }

    /// A whole encoder block: x + MHA(LN(x)), then + FF(LN(.)), on positionally encoded input.
    func testTransformerBlockGradients() {
        var rng = SeededGenerator(seed: 4)
        let L = 4, C = 4
        func block() -> Sequential {
            Sequential([
                PositionalEncoding(length: L, channels: C),
                Residual(
                    Sequential([
                        LayerNormalization(name: "ln1", length: L, channels: C),
                        MultiHeadSelfAttention(name: "mha", length: L, channels: C, heads: 2, rng: &rng),
                    ])),
                Residual(
                    Sequential([
                        LayerNormalization(name: "ln2", length: L, channels: C),
                        PositionwiseFeedForward(name: "ff", length: L, channels: C, hidden: 6, activation: .tanh, rng: &rng),
                    ])),
            ])
        }
        let net = block()
        LayerTestSupport.randomizeParameters(net, seed: 5)
        XCTAssertEqual(Set(net.weights.map(\.name)).count, net.weights.count)
        LayerTestSupport.checkGradients(
            net, batch: 2, inputSize: L * C, outputSize: L * C, seed: 6,
            eps: 1e-2, tolerance: 5e-4)
        LayerTestSupport.checkInferenceKeepsTrainingCaches(net, batch: 2, inputSize: L * C, outputSize: L * C, seed: 7)
    }

    func testResidualAddsTheInput() {
        var rng = SeededGenerator(seed: 8)
        let dense = Dense(inputSize: 3, outputSize: 3, activation: .tanh, name: "d", rng: &rng)
        let residual = Residual(dense)
        XCTAssertEqual(residual.weights.map(\.name), ["d.weight", "d.bias"])
        let x = MathTestSupport.randomMatrix(rows: 2, cols: 3, rng: &rng)
        let inner = LayerTestSupport.copy(dense.forward(x, training: false))
        let y = residual.forward(x, training: true)
        for i in y.values.indices { XCTAssertEqual(y.values[i], x.values[i] + inner.values[i], accuracy: 1e-6) }
        for batch in [1, 3] {
            LayerTestSupport.checkGradients(
                residual, batch: batch, inputSize: 3, outputSize: 3, seed: UInt64(batch),
                tolerance: 5e-4)
        }
        _ = residual.forward(x, training: true)
        XCTAssertNil(residual.backward(x, needInputGradient: false))
        XCTAssertTrue(dense.weight.gradient.values.contains { $0 != 0 })
    }
}
