import XCTest

@testable import PluginKit

final class ConvTranspose1DLayerTests: XCTestCase {
    struct Config {
        var batch: Int, length: Int, channels: Int, filters: Int, kernel: Int
        var stride = 1, padding: ConvolutionPadding = .valid, dilation = 1, activation: Activation = .tanh
    }

    static let configs: [Config] = [
        Config(batch: 1, length: 5, channels: 1, filters: 2, kernel: 3),
        Config(batch: 2, length: 4, channels: 2, filters: 3, kernel: 3, stride: 2, padding: .same),
        Config(batch: 3, length: 5, channels: 2, filters: 2, kernel: 5, stride: 2, padding: .valid, activation: .sigmoid),
        Config(batch: 2, length: 3, channels: 3, filters: 2, kernel: 2, stride: 2, padding: .same, activation: .linear),
        Config(batch: 1, length: 6, channels: 2, filters: 2, kernel: 3, stride: 1, padding: .same, dilation: 2),
        Config(batch: 2, length: 4, channels: 2, filters: 1, kernel: 1, stride: 3, padding: .valid),
        Config(batch: 2, length: 5, channels: 2, filters: 2, kernel: 4, stride: 2, padding: 1, activation: .linear),
        Config(batch: 1, length: 7, channels: 1, filters: 3, kernel: 4, stride: 3, padding: .same),
    ]

    static func make(_ c: Config, seed: UInt64 = 1) -> ConvTranspose1D {
        var rng = SeededGenerator(seed: seed)
        return ConvTranspose1D(
            name: "deconv", inputLength: c.length, inputChannels: c.channels, filters: c.filters,
            kernelSize: c.kernel, stride: c.stride, padding: c.padding, dilation: c.dilation,
            activation: c.activation, rng: &rng)
    }

    /// Keras' `deconv_output_length` (no output padding) and the cropping before the output.
    static func expectedGeometry(_ c: Config) -> (length: Int, cropBefore: Int) {
        let e = (c.kernel - 1) * c.dilation + 1
        switch c.padding {
        case .valid: return (c.length * c.stride + max(e - c.stride, 0), 0)
        case .same: return (c.length * c.stride, max(e - c.stride, 0) / 2)
        case .explicit(let p): return ((c.length - 1) * c.stride + e - 2 * p, p)
        }
    }

    /// The definition as scatter loops in Double: input step t, tap k lands on t*s + k*d - crop.
    static func naive(_ layer: ConvTranspose1D, _ c: Config, _ x: Matrix) -> [Double] {
        let (lOut, crop) = expectedGeometry(c)
        var z = [Double](repeating: 0, count: x.rows * lOut * c.filters)
        for b in 0..<x.rows {
            for u in 0..<lOut { for f in 0..<c.filters { z[(b * lOut + u) * c.filters + f] = Double(layer.bias.value[0, f]) } }
            for t in 0..<c.length {
                for k in 0..<c.kernel {
                    let u = t * c.stride + k * c.dilation - crop
                    guard u >= 0 && u < lOut else { continue }
                    for f in 0..<c.filters {
                        for ch in 0..<c.channels {
                            z[(b * lOut + u) * c.filters + f] +=
                                Double(x[b, t * c.channels + ch]) * Double(layer.kernel.value[k * c.filters + f, ch])
                        }
                    }
                }
            }
        }
        return z.map { LayerTestSupport.activate($0, c.activation) }
    }

    func testGradientsMatchFiniteDifferences() {
        for (i, c) in Self.configs.enumerated() {
            let layer = Self.make(c, seed: UInt64(i + 1))
            LayerTestSupport.randomizeParameters(layer, seed: UInt64(100 + i))
            LayerTestSupport.checkGradients(
                layer, batch: c.batch, inputSize: layer.inputSize,
                outputSize: layer.outputSize, seed: UInt64(200 + i), tolerance: 5e-4)
        }
    }

    func testForwardAgreesWithNaiveLoopsAndKerasLengths() {
        for (i, c) in Self.configs.enumerated() {
            let layer = Self.make(c, seed: UInt64(i + 1))
            LayerTestSupport.randomizeParameters(layer, seed: UInt64(300 + i))
            var rng = SeededGenerator(seed: UInt64(400 + i))
            let x = MathTestSupport.randomMatrix(rows: c.batch, cols: layer.inputSize, rng: &rng)
            XCTAssertEqual(layer.outputLength, Self.expectedGeometry(c).length, "config \(i)")
            LayerTestSupport.assertClose(layer.forward(x, training: true), Self.naive(layer, c, x), accuracy: 1e-5)
        }
        var rng = SeededGenerator(seed: 5)
        func length(_ l: Int, k: Int, s: Int, p: ConvolutionPadding) -> Int {
            ConvTranspose1D(
                name: "t", inputLength: l, inputChannels: 1, filters: 1, kernelSize: k, stride: s,
                padding: p, activation: .linear, rng: &rng
            ).outputLength
        }
        XCTAssertEqual(length(32, k: 5, s: 2, p: .same), 64)
        XCTAssertEqual(length(32, k: 5, s: 2, p: .valid), 67)
        XCTAssertEqual(length(32, k: 1, s: 4, p: .valid), 128)
        XCTAssertEqual(length(32, k: 4, s: 2, p: 1), 64)
    }

    /// <conv(x), y> == <x, convT(y)> for a Conv1D with the same settings over the transposed
    /// layer's output length and the same kernel values (zero biases, linear).
    func testIsTheAdjointOfConv1D() {
        for (i, c) in Self.configs.enumerated() {
            var linear = c
            linear.activation = .linear
            let transposed = Self.make(linear, seed: UInt64(i + 1))
            var rng = SeededGenerator(seed: UInt64(500 + i))
            let conv = Conv1D(
                name: "c", inputLength: transposed.outputLength, inputChannels: c.filters,
                filters: c.channels, kernelSize: c.kernel, stride: c.stride, padding: c.padding,
                dilation: c.dilation, activation: .linear, rng: &rng)
            XCTAssertEqual(conv.outputLength, c.length, "config \(i): Conv1D does not map back to the input length")
            XCTAssertEqual(conv.kernel.value.rows, transposed.kernel.value.rows)
            XCTAssertEqual(conv.kernel.value.cols, transposed.kernel.value.cols)
            conv.kernel.value = transposed.kernel.value
            let x = MathTestSupport.randomMatrix(rows: c.batch, cols: conv.inputSize, rng: &rng)
            let y = MathTestSupport.randomMatrix(rows: c.batch, cols: transposed.inputSize, rng: &rng)
            let lhs = LayerTestSupport.dot(conv.forward(x, training: false), y)
            let rhs = LayerTestSupport.dot(x, transposed.forward(y, training: false))
            XCTAssertEqual(lhs, rhs, accuracy: 1e-4 * max(1, abs(lhs)), "config \(i)")
        }
    }

    func testParametersAndCaches() {
        let c = Self.configs[1]
        let layer = Self.make(c)
        XCTAssertEqual(layer.weights.map(\.name), ["deconv.kernel", "deconv.bias"])
        XCTAssertEqual(layer.kernel.value.rows, c.kernel * c.filters)
        XCTAssertEqual(layer.kernel.value.cols, c.channels)
        XCTAssertEqual(layer.outputChannels, c.filters)
        LayerTestSupport.checkInferenceKeepsTrainingCaches(
            layer, batch: 2, inputSize: layer.inputSize,
            outputSize: layer.outputSize, seed: 3)
        LayerTestSupport.checkDeterminism({ Self.make(c, seed: $0) }, inputSize: layer.inputSize)
    }
}
