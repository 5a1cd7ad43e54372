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

    /// Deferring the parameter gradients (a decoder answers its input gradient first) gives the
    /// same input gradient at once and, once the deferred work runs, the same parameter gradients
    /// bit for bit: for a chain of Dense layers, and for one whose first layer cannot defer
    /// (only the Dense run at the end defers; the rest is computed as before).
    func testDeferredParameterGradientsAreTheSameBits() {
        var rng = SeededGenerator(seed: 25)
        let x = MathTestSupport.randomMatrix(rows: 4, cols: 5, rng: &rng)
        let r = MathTestSupport.randomMatrix(rows: 4, cols: 3, rng: &rng)
        let fixed = MathTestSupport.randomMatrix(rows: 5, cols: 5, rng: &rng)
        // Whether the parameter gradients wait for the deferred work: a layer that cannot defer
        // has the work done before its own backward.
        let chains: [(String, (Sequential) -> Sequential, waits: Bool)] = [
            ("dense only", { $0 }, true),
            ("a fixed transform first", { Sequential([FixedTransform(fixed)] + $0.layers) }, false),
        ]
        for (what, make, waits) in chains {
            let eager = make(makeNetwork(seed: 24)), deferred = make(makeNetwork(seed: 24))
            for net in [eager, deferred] {
                net.zeroGradients()
                _ = net.forward(x, training: true)
            }
            let expected = eager.backward(r, needInputGradient: true)!
            let gradInput = deferred.backwardDeferringParameterGradients(r)
            XCTAssertEqual(gradInput.values, expected.values, what)
            let untouched = deferred.layers.compactMap { $0 as? Dense }.map { $0.weight.gradient.values.allSatisfy { $0 == 0 } }
            XCTAssertEqual(untouched, Array(repeating: waits, count: 3), what)
            deferred.addDeferredParameterGradients()
            for (a, b) in zip(eager.weights, deferred.weights) {
                XCTAssertEqual(a.gradient.values, b.gradient.values, "\(what): \(a.name)")
            }
            deferred.addDeferredParameterGradients()  // nothing left: running it again adds nothing
            for (a, b) in zip(eager.weights, deferred.weights) { XCTAssertEqual(a.gradient.values, b.gradient.values) }
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
