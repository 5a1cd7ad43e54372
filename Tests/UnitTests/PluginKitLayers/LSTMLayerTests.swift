import XCTest

@testable import PluginKit

final class LSTMLayerTests: XCTestCase {
    static func make(
        length: Int, channels: Int, units: Int, sequences: Bool, bidirectional: Bool,
        seed: UInt64 = 1
    ) -> LSTM {
        var rng = SeededGenerator(seed: seed)
        return LSTM(
            name: "lstm", inputLength: length, inputChannels: channels, units: units,
            returnSequences: sequences, bidirectional: bidirectional, rng: &rng)
    }

    /// One direction by the textbook equations in Double; returns h_t per step in time order.
    static func naiveDirection(
        x: Matrix, sample b: Int, length L: Int, channels C: Int, units H: Int,
        kernel W: Matrix, recurrent U: Matrix, bias: Matrix, reverse: Bool
    ) -> [[Double]] {
        func sigmoid(_ v: Double) -> Double { 1 / (1 + exp(-v)) }
        var h = [Double](repeating: 0, count: H), c = h
        var states = [[Double]](repeating: [], count: L)
        for step in 0..<L {
            let t = reverse ? L - 1 - step : step
            var a = (0..<(4 * H)).map { Double(bias[0, $0]) }
            for g in 0..<(4 * H) {
                for ch in 0..<C { a[g] += Double(x[b, t * C + ch]) * Double(W[ch, g]) }
                for j in 0..<H { a[g] += h[j] * Double(U[j, g]) }
            }
            for j in 0..<H {
                let i = sigmoid(a[j]), f = sigmoid(a[H + j]), g = tanh(a[2 * H + j]), o = sigmoid(a[3 * H + j])
                c[j] = f * c[j] + i * g
                h[j] = o * tanh(c[j])
            }
            states[t] = h
        }
        return states
    }

    static func naive(_ lstm: LSTM, _ x: Matrix) -> [Double] {
        let L = lstm.inputLength, H = lstm.units
        let params = lstm.weights
        var out = [Double]()
        for b in 0..<x.rows {
            let dirs = (0..<(lstm.bidirectional ? 2 : 1)).map { d in
                naiveDirection(
                    x: x, sample: b, length: L, channels: lstm.inputChannels, units: H,
                    kernel: params[3 * d].value, recurrent: params[3 * d + 1].value,
                    bias: params[3 * d + 2].value, reverse: d == 1)
            }
            if lstm.returnSequences {
                for t in 0..<L { for d in dirs { out += d[t] } }
            } else {
                out += dirs[0][L - 1]
                if dirs.count == 2 { out += dirs[1][0] }
            }
        }
        return out
    }

    func testForwardAgreesWithTheEquations() {
        for bidirectional in [false, true] {
            for sequences in [false, true] {
                let lstm = Self.make(length: 6, channels: 2, units: 3, sequences: sequences, bidirectional: bidirectional)
                LayerTestSupport.randomizeParameters(lstm, seed: 11)
                var rng = SeededGenerator(seed: 12)
                let x = MathTestSupport.randomMatrix(rows: 3, cols: lstm.inputSize, rng: &rng, low: -2, high: 2)
                let y = lstm.forward(x, training: true)
                XCTAssertEqual(y.rows, 3)
                XCTAssertEqual(y.cols, (sequences ? 6 : 1) * (bidirectional ? 6 : 3))
                LayerTestSupport.assertClose(y, Self.naive(lstm, x), accuracy: 2e-6)
                LayerTestSupport.assertClose(lstm.forward(x, training: false), Self.naive(lstm, x), accuracy: 2e-6)
            }
        }
    }

    func testGradientsMatchFiniteDifferences() {
        // (batch, length, channels, units): batch 1, odd lengths, a single step, a single unit.
        let shapes = [(1, 5, 2, 3), (3, 4, 1, 2), (2, 1, 3, 2), (2, 7, 2, 1)]
        var seed: UInt64 = 0
        for (batch, length, channels, units) in shapes {
            for bidirectional in [false, true] {
                for sequences in [false, true] {
                    seed += 1
                    let lstm = Self.make(
                        length: length, channels: channels, units: units, sequences: sequences,
                        bidirectional: bidirectional, seed: seed)
                    LayerTestSupport.randomizeParameters(lstm, seed: seed + 100, scale: 0.8)
                    LayerTestSupport.checkGradients(
                        lstm, batch: batch, inputSize: lstm.inputSize,
                        outputSize: lstm.outputSize, seed: seed + 200,
                        eps: 1e-2, tolerance: 5e-4)
                }
            }
        }
    }

    /// Many steps: the recurrent gradient must flow all the way back (checked on the first step's input).
    func testGradientReachesTheFirstStep() {
        let lstm = Self.make(length: 20, channels: 1, units: 4, sequences: false, bidirectional: false, seed: 5)
        LayerTestSupport.randomizeParameters(lstm, seed: 6, scale: 1)
        var rng = SeededGenerator(seed: 7)
        let x = MathTestSupport.randomMatrix(rows: 1, cols: 20, rng: &rng)
        let r = MathTestSupport.randomMatrix(rows: 1, cols: 4, rng: &rng)
        _ = lstm.forward(x, training: true)
        let dx = lstm.backward(r, needInputGradient: true)!
        var xp = x, xm = x
        xp.values[0] += 1e-2
        xm.values[0] -= 1e-2
        let numeric =
            (MathTestSupport.weightedSum(lstm.forward(xp, training: false), r)
                - MathTestSupport.weightedSum(lstm.forward(xm, training: false), r)) / 2e-2
        XCTAssertGreaterThan(abs(numeric), 1e-4)
        XCTAssertEqual(Double(dx.values[0]), numeric, accuracy: 1e-3 * max(1, abs(numeric)))
    }

    func testParametersAndInitialisation() {
        let uni = Self.make(length: 4, channels: 3, units: 5, sequences: false, bidirectional: false)
        XCTAssertEqual(uni.weights.map(\.name), ["lstm.kernel", "lstm.recurrent_kernel", "lstm.bias"])
        XCTAssertEqual(uni.outputLength, 1)
        XCTAssertEqual(uni.outputChannels, 5)
        let bi = Self.make(length: 4, channels: 3, units: 5, sequences: true, bidirectional: true)
        XCTAssertEqual(
            bi.weights.map(\.name),
            [
                "lstm.forward.kernel", "lstm.forward.recurrent_kernel", "lstm.forward.bias",
                "lstm.backward.kernel", "lstm.backward.recurrent_kernel", "lstm.backward.bias",
            ])
        XCTAssertEqual(bi.outputLength, 4)
        XCTAssertEqual(bi.outputChannels, 10)
        let p = uni.weights
        XCTAssertEqual(p[0].value.rows, 3); XCTAssertEqual(p[0].value.cols, 20)
        XCTAssertEqual(p[1].value.rows, 5); XCTAssertEqual(p[1].value.cols, 20)
        XCTAssertEqual(
            p[2].value.values,
            [Float](repeating: 0, count: 5) + [Float](repeating: 1, count: 5)
                + [Float](repeating: 0, count: 10), "forget-gate bias 1, the others 0")
        // Orthogonal recurrent kernel: U · Uᵀ = I.
        let u = p[1].value
        for i in 0..<5 {
            for j in 0..<5 {
                let s = (0..<20).reduce(0.0) { $0 + Double(u[i, $1]) * Double(u[j, $1]) }
                XCTAssertEqual(s, i == j ? 1 : 0, accuracy: 1e-5)
            }
        }
    }

    func testInferenceKeepsTrainingCachesAndDeterminism() {
        for bidirectional in [false, true] {
            for sequences in [false, true] {
                let lstm = Self.make(length: 5, channels: 2, units: 3, sequences: sequences, bidirectional: bidirectional)
                LayerTestSupport.checkInferenceKeepsTrainingCaches(
                    lstm, batch: 3, inputSize: lstm.inputSize,
                    outputSize: lstm.outputSize, seed: 4)
                LayerTestSupport.checkDeterminism(
                    {
                        Self.make(length: 5, channels: 2, units: 3, sequences: sequences, bidirectional: bidirectional, seed: $0)
                    }, inputSize: lstm.inputSize)
            }
        }
    }
}
