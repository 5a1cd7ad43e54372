import XCTest

@testable import PluginKit

final class SequentialTests: XCTestCase {
    private func makeNetwork(seed: UInt64) -> Sequential {
        var rng = SeededGenerator(seed: seed)
        let layers: [Dense] = [
            Dense(inputSize: 5, outputSize: 7, activation: .tanh, name: "l0", rng: &rng),
            Dense(inputSize: 7, outputSize: 6, activation: .sigmoid, name: "l1", rng: &rng),
            Dense(inputSize: 6, outputSize: 3, activation: .linear, name: "l2", rng: &rng),
        ]
        for layer in layers {
            layer.bias.value = MathTestSupport.randomMatrix(
                rows: 1, cols: layer.outputSize, rng: &rng,
                low: -0.3, high: 0.3)
        }
        return Sequential(layers)
    }

    func testThreeLayerGradientsMatchFiniteDifferences() {
        for batch in [1, 4] {
            let net = makeNetwork(seed: 21)
            var rng = SeededGenerator(seed: 22)
            let x = MathTestSupport.randomMatrix(rows: batch, cols: 5, rng: &rng)
            let r = MathTestSupport.randomMatrix(rows: batch, cols: 3, rng: &rng)
            let result = MathTestSupport.checkGradients(of: net, input: x, weights: r, eps: 1e-2, tolerance: 5e-4)
            XCTAssertEqual(result.checked, net.weightCount + batch * 5)
            XCTAssertGreaterThan(result.maxAnalytic, 0.05)
        }
    }

    func testParametersCountAndZeroGradients() {
        let net = makeNetwork(seed: 23)
        XCTAssertEqual(
            net.weights.map(\.name),
            ["l0.weight", "l0.bias", "l1.weight", "l1.bias", "l2.weight", "l2.bias"])
        XCTAssertEqual(net.weightCount, 5 * 7 + 7 + 7 * 6 + 6 + 6 * 3 + 3)

        var rng = SeededGenerator(seed: 24)
        let x = MathTestSupport.randomMatrix(rows: 2, cols: 5, rng: &rng)
        _ = net.forward(x, training: true)
        XCTAssertNil(net.backward(Matrix(rows: 2, cols: 3, repeating: 1), needInputGradient: false))
        XCTAssertTrue(
            net.weights.allSatisfy { $0.gradient.values.contains { $0 != 0 } },
            "every layer must receive a gradient even when the input gradient is not requested")
        net.zeroGradients()
        XCTAssertTrue(net.weights.allSatisfy { $0.gradient.values.allSatisfy { $0 == 0 } })
    }

    func testForwardChainsLayersInOrder() {
        let net = makeNetwork(seed: 25)
        var rng = SeededGenerator(seed: 26)
        let x = MathTestSupport.randomMatrix(rows: 3, cols: 5, rng: &rng)
        var expected = x
        for layer in net.layers { expected = layer.forward(expected, training: false) }
        XCTAssertEqual(net.forward(x, training: true), expected)
        XCTAssertEqual(net.forward(x, training: false), expected)
    }

    func testEmptySequentialIsIdentity() {
        let net = Sequential([])
        let x = Matrix(rows: 2, cols: 2, values: [1, 2, 3, 4])
        XCTAssertEqual(net.forward(x, training: true), x)
        XCTAssertEqual(net.backward(x, needInputGradient: true), x)
        XCTAssertNil(net.backward(x, needInputGradient: false))
        XCTAssertEqual(net.weightCount, 0)
    }
}
