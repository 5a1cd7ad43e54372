import XCTest

@testable import PluginKit

final class ProjectedSelfAttentionLayerTests: XCTestCase {
    /// The folded layer and, over the same weights, the projection and the attention in sequence.
    static func make(
        length: Int, from channels: Int, width: Int, heads: Int, keySize: Int? = nil, seed: UInt64
    ) -> (folded: ProjectedSelfAttention, pair: Sequential) {
        func parts() -> (Conv1D, MultiHeadSelfAttention) {
            var rng = SeededGenerator(seed: seed)
            let projection = Conv1D(
                name: "p", inputLength: length, inputChannels: channels, filters: width, kernelSize: 1,
                activation: .linear, rng: &rng)
            let attention = MultiHeadSelfAttention(
                name: "a", length: length, channels: width, heads: heads, keySize: keySize, rng: &rng)
            return (projection, attention)
        }
        let (p1, a1) = parts(), (p2, a2) = parts()
        let folded = ProjectedSelfAttention(projection: p1, attention: a1), pair = Sequential([p2, a2])
        LayerTestSupport.randomizeParameters(folded, seed: seed + 100, scale: 0.8)
        LayerTestSupport.randomizeParameters(pair, seed: seed + 100, scale: 0.8)
        return (folded, pair)
    }

    static func assertClose(_ a: Matrix, _ b: Matrix, _ what: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(a.rows, b.rows, what, file: file, line: line)
        XCTAssertEqual(a.cols, b.cols, what, file: file, line: line)
        let scale = b.values.map(abs).max() ?? 0
        let worst = zip(a.values, b.values).map { abs($0 - $1) }.max() ?? 0
        XCTAssertLessThanOrEqual(worst, 1e-5 * max(1, scale), what, file: file, line: line)
    }

    /// Forward and every gradient as the projection and the attention in sequence compute them
    /// (the same parameters, in the same order: the saved state is unchanged).
    func testAgreesWithTheProjectionThenTheAttention() {
        // (length, from, width, heads, key size): widening, narrowing, one input channel, key size.
        for (i, s) in [(5, 2, 6, 2, nil), (4, 6, 4, 2, nil), (6, 1, 8, 4, nil), (3, 3, 4, 2, 5)].enumerated() {
            let (folded, pair) = Self.make(length: s.0, from: s.1, width: s.2, heads: s.3, keySize: s.4, seed: UInt64(i))
            XCTAssertEqual(folded.weights.map(\.name), pair.weights.map(\.name))
            XCTAssertEqual(folded.inputSize, s.0 * s.1)
            XCTAssertEqual(folded.outputSize, s.0 * s.2)
            var rng = SeededGenerator(seed: UInt64(50 + i))
            let x = MathTestSupport.randomMatrix(rows: 3, cols: folded.inputSize, rng: &rng)
            let g = MathTestSupport.randomMatrix(rows: 3, cols: folded.outputSize, rng: &rng)
            for training in [true, false] {
                Self.assertClose(folded.forward(x, training: training), pair.forward(x, training: training), "forward")
            }
            _ = folded.forward(x, training: true)
            _ = pair.forward(x, training: true)
            Self.assertClose(folded.backward(g, needInputGradient: true)!, pair.backward(g, needInputGradient: true)!, "dx")
            for (a, b) in zip(folded.weights, pair.weights) { Self.assertClose(a.gradient, b.gradient, a.name) }
            XCTAssertNil(folded.backward(g, needInputGradient: false))
        }
    }

    func testGradientsMatchFiniteDifferences() {
        let (folded, _) = Self.make(length: 4, from: 2, width: 4, heads: 2, seed: 9)
        LayerTestSupport.checkGradients(
            folded, batch: 2, inputSize: folded.inputSize, outputSize: folded.outputSize, seed: 10,
            eps: 1e-2, tolerance: 5e-4)
        LayerTestSupport.checkInferenceKeepsTrainingCaches(
            folded, batch: 2, inputSize: folded.inputSize, outputSize: folded.outputSize, seed: 11)
    }

    /// Post-norm blocks without the attention residual fold a widening projection (the
    /// original's encoder); gradients flow through the folded model. A residual attention, or a
    /// projection that narrows, keeps the projection in sequence.
    func testTheArchitectureFoldsOnlyAWideningProjectionTheAttentionAloneReads() throws {
        func flattened(_ layer: any Layer) -> [any Layer] {
            if let s = layer as? Sequential { return s.layers.flatMap(flattened) }
            if let c = layer as? ChunkedInference { return flattened(c.inner) }
            if let r = layer as? Residual { return [r] + flattened(r.inner) }
            return [layer]
        }
        let window = 12, interface = 3
        func encoder(residual: Bool) throws -> Sequential {
            let knobs = OriginalShapesTests.common.merging(OriginalShapesTests.transformer) { _, b in b }.merging([
                "widths": .string("4,2"), "head_counts": .string("2,1"), "ff_sizes": .string("3,2"),
                "attention_residual": .bool(residual), "readout": .string("average"), "patch_size": .number(2),
                "activation": .string("tanh"), "interface_activation": .string("tanh"),
            ]) { _, b in b }
            let c = ModelConfiguration(
                inputShape: [window], outputShape: [interface], seed: 42,
                parameters: try TransformerArchitecture.schema.resolve(knobs))
            var rng = SeededGenerator(seed: 42)
            return try TransformerArchitecture.encoder(c, rng: &rng)
        }
        let folded = try encoder(residual: false), unfolded = try encoder(residual: true)
        // 2 channels -> width 4 folds; 4 -> 2 does not.
        XCTAssertEqual(flattened(folded).filter { $0 is ProjectedSelfAttention }.count, 1)
        XCTAssertEqual(flattened(folded).filter { $0 is MultiHeadSelfAttention }.count, 1)
        XCTAssertEqual(flattened(unfolded).filter { $0 is ProjectedSelfAttention }.count, 0)
        XCTAssertEqual(folded.weights.map(\.name), unfolded.weights.map(\.name))
        LayerTestSupport.randomizeParameters(folded, seed: 3, scale: 0.4)
        LayerTestSupport.checkGradients(
            folded, batch: 2, inputSize: window, outputSize: interface, seed: 4, eps: 5e-3, tolerance: 4e-3)
    }
}
