import XCTest

@testable import PluginKit

/// The `Layer` contract, checked on every sequence layer: gradients accumulate, the input
/// gradient is optional, output shapes match the declared ones, names are unique, and
/// training reuses its output buffers instead of allocating.
final class LayerContractTests: XCTestCase {
    /// (description, layer, input columns, output columns); every layer of this folder.
    static func layers() -> [(String, any Layer, Int, Int)] {
        var rng = SeededGenerator(seed: 77)
        let sequenceLayers: [any SequenceLayer] = [
            Conv1D(
                name: "conv", inputLength: 9, inputChannels: 2, filters: 3, kernelSize: 3, stride: 2,
                padding: .same, dilation: 1, activation: .tanh, rng: &rng),
            ConvTranspose1D(
                name: "deconv", inputLength: 5, inputChannels: 3, filters: 2, kernelSize: 3, stride: 2,
                padding: .same, activation: .sigmoid, rng: &rng),
            MaxPool1D(inputLength: 9, channels: 2, poolSize: 2),
            AveragePool1D(inputLength: 9, channels: 2, poolSize: 3, stride: 2),
            UpSampling1D(inputLength: 4, channels: 3, factor: 2),
            LSTM(name: "lstm", inputLength: 5, inputChannels: 2, units: 3, returnSequences: false, rng: &rng),
            LSTM(
                name: "bilstm", inputLength: 5, inputChannels: 2, units: 3, returnSequences: true, bidirectional: true,
                rng: &rng),
            PositionalEncoding(length: 4, channels: 4),
            MultiHeadSelfAttention(name: "mha", length: 4, channels: 4, heads: 2, rng: &rng),
            LayerNormalization(name: "ln", length: 4, channels: 4),
            PositionwiseFeedForward(name: "ff", length: 4, channels: 4, hidden: 5, activation: .relu, rng: &rng),
        ]
        var all: [(String, any Layer, Int, Int)] = sequenceLayers.map {
            ("\(type(of: $0))", $0, $0.inputSize, $0.outputSize)
        }
        all.append(("Residual", Residual(LayerNormalization(name: "r", length: 3, channels: 2)), 6, 6))
        all.append(("Dropout", Dropout(rate: 0.25, seed: 1), 6, 6))
        return all
    }

    func testGradientsAccumulateAndInputGradientIsOptional() {
        for (name, layer, inCols, outCols) in Self.layers() where !(layer is Dropout) {
            var rng = SeededGenerator(seed: 5)
            let x = MathTestSupport.randomMatrix(rows: 3, cols: inCols, rng: &rng)
            let g = MathTestSupport.randomMatrix(rows: 3, cols: outCols, rng: &rng)
            for p in layer.weights { p.zeroGradient() }
            let y = layer.forward(x, training: true)
            XCTAssertEqual(y.rows, 3, name)
            XCTAssertEqual(y.cols, outCols, name)
            let dx1 = LayerTestSupport.copy(layer.backward(g, needInputGradient: true)!)
            XCTAssertEqual(dx1.rows, 3, name)
            XCTAssertEqual(dx1.cols, inCols, name)
            let once = layer.weights.map { LayerTestSupport.copy($0.gradient) }
            XCTAssertNil(layer.backward(g, needInputGradient: false), name)
            let dx3 = layer.backward(g, needInputGradient: true)!
            XCTAssertEqual(dx3, dx1, "\(name): backward must not depend on earlier backward calls")
            for (p, o) in zip(layer.weights, once) {
                XCTAssertTrue(o.values.contains { $0 != 0 }, "\(name): \(p.name) got no gradient")
                for i in o.values.indices {
                    XCTAssertEqual(
                        p.gradient.values[i], 3 * o.values[i], accuracy: 1e-5 * max(1, abs(3 * o.values[i])),
                        "\(name): \(p.name) does not accumulate")
                }
            }
            XCTAssertEqual(Set(layer.weights.map(\.name)).count, layer.weights.count, name)
        }
    }

    /// With each output held until the next step (as the next layer's cache holds it),
    /// training alternates between two buffers and allocates nothing.
    func testTrainingOutputBuffersAreReused() {
        for (name, layer, inCols, outCols) in Self.layers() {
            var rng = SeededGenerator(seed: 6)
            let x = MathTestSupport.randomMatrix(rows: 4, cols: inCols, rng: &rng)
            let g = MathTestSupport.randomMatrix(rows: 4, cols: outCols, rng: &rng)
            var held: Matrix?
            var addresses: [UnsafePointer<Float>?] = []
            var ballast: [[Float]] = []
            for _ in 0..<4 {
                let y = layer.forward(x, training: true)
                addresses.append(y.values.withUnsafeBufferPointer { $0.baseAddress })
                held = y
                _ = layer.backward(g, needInputGradient: true)
                for _ in 0..<4 { ballast.append([Float](repeating: 1, count: y.values.count)) }
            }
            XCTAssertNotNil(held)
            XCTAssertEqual(ballast.count, 16)
            XCTAssertEqual(addresses[0], addresses[2], name)
            XCTAssertEqual(addresses[1], addresses[3], name)
            XCTAssertNotEqual(addresses[0], addresses[1], name)
        }
    }
}
