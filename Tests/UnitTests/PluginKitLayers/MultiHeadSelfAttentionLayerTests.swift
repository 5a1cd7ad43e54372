import XCTest

@testable import PluginKit

final class MultiHeadSelfAttentionLayerTests: XCTestCase {
    static func make(length: Int, channels: Int, heads: Int, seed: UInt64 = 1) -> MultiHeadSelfAttention {
        var rng = SeededGenerator(seed: seed)
        return MultiHeadSelfAttention(name: "mha", length: length, channels: channels, heads: heads, rng: &rng)
    }

    /// The definition in Double.
    static func naive(_ layer: MultiHeadSelfAttention, _ x: Matrix) -> [Double] {
        let L = layer.inputLength, C = layer.inputChannels, H = layer.heads, d = layer.headSize
        func project(_ b: Int, _ w: Weight, _ bias: Weight) -> [[Double]] {
            (0..<L).map { t in
                (0..<C).map { j in
                    (0..<C).reduce(Double(bias.value[0, j])) { $0 + Double(x[b, t * C + $1]) * Double(w.value[$1, j]) }
                }
            }
        }
        var out = [Double]()
        for b in 0..<x.rows {
            let q = project(b, layer.queryKernel, layer.queryBias)
            let k = project(b, layer.keyKernel, layer.keyBias)
            let v = project(b, layer.valueKernel, layer.valueBias)
            var concat = [[Double]](repeating: [Double](repeating: 0, count: C), count: L)
            for h in 0..<H {
                for i in 0..<L {
                    var s = (0..<L).map { j in
                        (0..<d).reduce(0.0) { $0 + q[i][h * d + $1] * k[j][h * d + $1] } / Double(d).squareRoot()
                    }
                    let top = s.max()!
                    s = s.map { exp($0 - top) }
                    let sum = s.reduce(0, +)
                    for e in 0..<d {
                        concat[i][h * d + e] = (0..<L).reduce(0.0) { $0 + s[$1] / sum * v[$1][h * d + e] }
                    }
                }
            }
            for t in 0..<L {
                for j in 0..<C {
                    out.append(
                        (0..<C).reduce(Double(layer.outputBias.value[0, j])) {
                            $0 + concat[t][$1] * Double(layer.outputKernel.value[$1, j])
                        })
                }
            }
        }
        return out
    }

    func testForwardAgreesWithTheDefinition() {
        for (i, s) in [(5, 4, 1), (6, 6, 2), (3, 8, 4)].enumerated() {
            let layer = Self.make(length: s.0, channels: s.1, heads: s.2, seed: UInt64(i))
            LayerTestSupport.randomizeParameters(layer, seed: UInt64(10 + i), scale: 1)
            var rng = SeededGenerator(seed: UInt64(20 + i))
            let x = MathTestSupport.randomMatrix(rows: 2, cols: layer.inputSize, rng: &rng)
            LayerTestSupport.assertClose(layer.forward(x, training: true), Self.naive(layer, x), accuracy: 1e-5)
            LayerTestSupport.assertClose(layer.forward(x, training: false), Self.naive(layer, x), accuracy: 1e-5)
        }
    }

    func testGradientsMatchFiniteDifferences() {
        // (batch, length, channels, heads): batch 1, odd lengths, one to four heads, head size 1.
        let shapes = [(1, 3, 4, 1), (2, 5, 4, 2), (2, 3, 8, 4), (1, 4, 3, 3)]
        for (i, s) in shapes.enumerated() {
            let layer = Self.make(length: s.1, channels: s.2, heads: s.3, seed: UInt64(i))
            LayerTestSupport.randomizeParameters(layer, seed: UInt64(30 + i), scale: 0.8)
            LayerTestSupport.checkGradients(
                layer, batch: s.0, inputSize: layer.inputSize,
                outputSize: layer.outputSize, seed: UInt64(40 + i),
                eps: 1e-2, tolerance: 5e-4)
        }
    }

    func testParametersShapesCachesAndDeterminism() {
        let layer = Self.make(length: 4, channels: 6, heads: 3)
        XCTAssertEqual(layer.headSize, 2)
        XCTAssertEqual(
            layer.weights.map(\.name),
            [
                "mha.query.kernel", "mha.query.bias", "mha.key.kernel", "mha.key.bias",
                "mha.value.kernel", "mha.value.bias", "mha.output.kernel", "mha.output.bias",
            ])
        XCTAssertTrue(layer.weights.allSatisfy { $0.value.cols == 6 })
        XCTAssertEqual(layer.outputSize, 24)
        LayerTestSupport.checkInferenceKeepsTrainingCaches(layer, batch: 2, inputSize: 24, outputSize: 24, seed: 5)
        LayerTestSupport.checkDeterminism({ Self.make(length: 4, channels: 6, heads: 3, seed: $0) }, inputSize: 24)
    }

    /// Attention mixes steps within a sample only: changing sample 0 leaves sample 1 untouched.
    func testSamplesAreIndependent() {
        let layer = Self.make(length: 4, channels: 4, heads: 2)
        var rng = SeededGenerator(seed: 8)
        var x = MathTestSupport.randomMatrix(rows: 2, cols: 16, rng: &rng)
        let before = layer.forward(x, training: false)
        x[0, 3] += 1
        let after = layer.forward(x, training: false)
        XCTAssertEqual(Array(before.values[16...]), Array(after.values[16...]))
        XCTAssertNotEqual(Array(before.values[..<16]), Array(after.values[..<16]))
    }
}
