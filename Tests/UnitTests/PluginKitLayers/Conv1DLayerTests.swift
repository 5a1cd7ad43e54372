import XCTest

@testable import PluginKit

final class Conv1DLayerTests: XCTestCase {
    struct Config {
        var batch: Int, length: Int, channels: Int, filters: Int, kernel: Int
        var stride = 1, padding: ConvolutionPadding = .valid, dilation = 1, activation: Activation = .tanh
    }

    /// Batch 1 and odd lengths, odd and even kernels, stride 2, dilation 2, every padding, 1x1.
    static let configs: [Config] = [
        Config(batch: 1, length: 7, channels: 1, filters: 2, kernel: 3),
        Config(batch: 2, length: 9, channels: 2, filters: 3, kernel: 3, padding: .same),
        Config(batch: 3, length: 11, channels: 2, filters: 2, kernel: 5, stride: 2, padding: .same, activation: .sigmoid),
        Config(batch: 2, length: 10, channels: 3, filters: 2, kernel: 4, stride: 2, padding: .valid, activation: .linear),
        Config(batch: 1, length: 13, channels: 2, filters: 3, kernel: 3, stride: 1, padding: .same, dilation: 2),
        Config(batch: 2, length: 12, channels: 1, filters: 2, kernel: 3, stride: 2, padding: .valid, dilation: 2),
        Config(batch: 2, length: 8, channels: 2, filters: 2, kernel: 3, stride: 3, padding: 2, activation: .linear),
        Config(batch: 3, length: 6, channels: 3, filters: 4, kernel: 1),
        Config(batch: 1, length: 5, channels: 2, filters: 2, kernel: 2, padding: .same, dilation: 3),
    ]

    static func make(_ c: Config, seed: UInt64 = 1) -> Conv1D {
        var rng = SeededGenerator(seed: seed)
        return Conv1D(
            name: "conv", inputLength: c.length, inputChannels: c.channels, filters: c.filters,
            kernelSize: c.kernel, stride: c.stride, padding: c.padding, dilation: c.dilation,
            activation: c.activation, rng: &rng)
    }

    /// Output length and left padding from Keras' formulas, computed independently of the layer.
    static func expectedGeometry(_ c: Config) -> (length: Int, padBefore: Int) {
        let e = (c.kernel - 1) * c.dilation + 1
        switch c.padding {
        case .valid: return ((c.length - e) / c.stride + 1, 0)
        case .same:
            let out = Int((Double(c.length) / Double(c.stride)).rounded(.up))
            return (out, max((out - 1) * c.stride + e - c.length, 0) / 2)
        case .explicit(let p): return ((c.length + 2 * p - e) / c.stride + 1, p)
        }
    }

    /// The definition, as loops in Double.
    static func naive(_ conv: Conv1D, _ c: Config, _ x: Matrix) -> [Double] {
        let (lOut, pad) = expectedGeometry(c)
        var y = [Double]()
        for b in 0..<x.rows {
            for t in 0..<lOut {
                for f in 0..<c.filters {
                    var z = Double(conv.bias.value[0, f])
                    for k in 0..<c.kernel {
                        let pos = t * c.stride + k * c.dilation - pad
                        guard pos >= 0 && pos < c.length else { continue }
                        for ch in 0..<c.channels {
                            z += Double(x[b, pos * c.channels + ch]) * Double(conv.kernel.value[k * c.channels + ch, f])
                        }
                    }
                    y.append(LayerTestSupport.activate(z, c.activation))
                }
            }
        }
        return y
    }

    func testGradientsMatchFiniteDifferences() {
        for (i, c) in Self.configs.enumerated() {
            let conv = Self.make(c, seed: UInt64(i + 1))
            LayerTestSupport.randomizeParameters(conv, seed: UInt64(100 + i))
            LayerTestSupport.checkGradients(
                conv, batch: c.batch, inputSize: conv.inputSize, outputSize: conv.outputSize,
                seed: UInt64(200 + i), tolerance: 5e-4)
        }
    }

    func testForwardAgreesWithNaiveLoops() {
        for (i, c) in Self.configs.enumerated() {
            let conv = Self.make(c, seed: UInt64(i + 1))
            LayerTestSupport.randomizeParameters(conv, seed: UInt64(300 + i))
            var rng = SeededGenerator(seed: UInt64(400 + i))
            let x = MathTestSupport.randomMatrix(rows: c.batch, cols: conv.inputSize, rng: &rng)
            XCTAssertEqual(conv.outputLength, Self.expectedGeometry(c).length, "config \(i)")
            LayerTestSupport.assertClose(conv.forward(x, training: true), Self.naive(conv, c, x), accuracy: 1e-5)
            LayerTestSupport.assertClose(conv.forward(x, training: false), Self.naive(conv, c, x), accuracy: 1e-5)
        }
    }

    func testOutputShapesFollowKeras() {
        var rng = SeededGenerator(seed: 3)
        func length(_ l: Int, k: Int, s: Int = 1, p: ConvolutionPadding, d: Int = 1) -> Int {
            Conv1D(
                name: "c", inputLength: l, inputChannels: 2, filters: 3, kernelSize: k, stride: s, padding: p,
                dilation: d, activation: .linear, rng: &rng
            ).outputLength
        }
        XCTAssertEqual(length(128, k: 5, p: .same), 128)
        XCTAssertEqual(length(128, k: 5, p: .valid), 124)
        XCTAssertEqual(length(128, k: 5, s: 2, p: .same), 64)
        XCTAssertEqual(length(128, k: 5, s: 2, p: .valid), 62)
        XCTAssertEqual(length(127, k: 4, s: 2, p: .same), 64)
        XCTAssertEqual(length(128, k: 3, p: .valid, d: 2), 124)
        XCTAssertEqual(length(10, k: 3, s: 2, p: 1), 5)
        XCTAssertEqual(length(1, k: 3, p: .same), 1)

        let conv = Conv1D(
            name: "enc.0", inputLength: 16, inputChannels: 2, filters: 5, kernelSize: 3, stride: 2,
            padding: .same, activation: .relu, rng: &rng)
        XCTAssertEqual(conv.outputChannels, 5)
        XCTAssertEqual(conv.outputSize, 8 * 5)
        XCTAssertEqual(conv.weights.map(\.name), ["enc.0.kernel", "enc.0.bias"])
        XCTAssertEqual(conv.kernel.value.rows, 3 * 2)
        XCTAssertEqual(conv.kernel.value.cols, 5)
        let x = Matrix(rows: 4, cols: 32, repeating: 0.5)
        let y = conv.forward(x, training: true)
        XCTAssertEqual(y.rows, 4)
        XCTAssertEqual(y.cols, 40)
        XCTAssertEqual(conv.backward(y, needInputGradient: true)?.cols, 32)
        XCTAssertNil(conv.backward(y, needInputGradient: false))
        // Glorot with fans k*c and k*f.
        let limit = Float(6.0 / Double(3 * 2 + 3 * 5)).squareRoot()
        XCTAssertTrue(conv.kernel.value.values.allSatisfy { abs($0) <= limit })
        XCTAssertEqual(conv.bias.value, Matrix(rows: 1, cols: 5))
    }

    func testGradientsAccumulate() {
        let c = Self.configs[2]
        let conv = Self.make(c)
        var rng = SeededGenerator(seed: 9)
        let x = MathTestSupport.randomMatrix(rows: c.batch, cols: conv.inputSize, rng: &rng)
        let g = MathTestSupport.randomMatrix(rows: c.batch, cols: conv.outputSize, rng: &rng)
        _ = conv.forward(x, training: true)
        _ = conv.backward(g, needInputGradient: false)
        let once = conv.weights.map { LayerTestSupport.copy($0.gradient) }
        _ = conv.backward(g, needInputGradient: false)
        for (p, o) in zip(conv.weights, once) {
            for i in o.values.indices { XCTAssertEqual(p.gradient.values[i], 2 * o.values[i], accuracy: 1e-5) }
        }
    }

    func testInferenceKeepsTrainingCachesAndDeterminism() {
        for (i, c) in [Self.configs[2], Self.configs[5], Self.configs[7]].enumerated() {
            let conv = Self.make(c)
            LayerTestSupport.checkInferenceKeepsTrainingCaches(
                conv, batch: c.batch, inputSize: conv.inputSize,
                outputSize: conv.outputSize, seed: UInt64(i))
            LayerTestSupport.checkDeterminism({ Self.make(c, seed: $0) }, inputSize: conv.inputSize)
        }
    }
}
