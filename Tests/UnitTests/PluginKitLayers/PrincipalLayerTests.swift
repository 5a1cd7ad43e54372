import PluginProtocol
import PrincipalComponents
import XCTest

@testable import PluginKit

/// The PCA layers, the gated correction around them, and fitted (untrained) state.
final class PrincipalLayerTests: XCTestCase {
    /// Smooth windows with a varying level, like normalised prices.
    private func windows(rows: Int, size: Int) -> Matrix {
        var m = Matrix(rows: rows, cols: size)
        for r in 0..<rows {
            for j in 0..<size {
                let t = Double(r + j)
                m[r, j] = Float(
                    0.5 + 0.3 * sin(t * 0.05) + 0.02 * sin(t * 0.9 + Double(r % 7)) + 0.01 * cos(Double(r * j) * 0.13))
            }
        }
        return m
    }

    private func statistics(_ x: Matrix) -> TrainingStatistics {
        var moments = SecondMoments(dimension: x.cols)
        x.values.withUnsafeBufferPointer { moments.add($0, rows: x.rows) }
        return TrainingStatistics(count: moments.count, mean: moments.mean, covariance: moments.covariance)
    }

    func testFittedProjectionAndReconstructionArePCA() throws {
        let x = windows(rows: 400, size: 16)
        let stats = statistics(x)
        let encoder = PrincipalProjection(windowSize: 16, rank: 4, name: "pca")
        let decoder = PrincipalReconstruction(rank: 4, windowSize: 16, name: "pca")
        let unfitted = decoder.forward(encoder.forward(x, training: false), training: false)
        try encoder.fit(stats)
        try decoder.fit(stats)
        let y = decoder.forward(encoder.forward(x, training: false), training: false)
        let mse = zip(y.values, x.values).map { Double($0 - $1) * Double($0 - $1) }.reduce(0, +) / Double(x.values.count)
        let unfittedMSE =
            zip(unfitted.values, x.values).map { Double($0 - $1) * Double($0 - $1) }.reduce(0, +) / Double(x.values.count)
        let pca = try PrincipalSubspace.fit(mean: stats.mean, covariance: stats.covariance, rank: 4)
        XCTAssertEqual(mse, pca.residualMSE, accuracy: 1e-4 * pca.residualMSE + 1e-9, "the fitted pair reconstructs as PCA does")
        XCTAssertLessThan(mse, unfittedMSE, "the fit improves on the DCT it starts from")
    }

    func testLayersPassTheTransposedGradientAndTrainNothing() throws {
        var rng = SeededGenerator(seed: 3)
        let x = MathTestSupport.randomMatrix(rows: 3, cols: 8, rng: &rng)
        let r = MathTestSupport.randomMatrix(rows: 3, cols: 2, rng: &rng)
        let encoder = PrincipalProjection(windowSize: 8, rank: 2, name: "pca")
        try encoder.fit(statistics(windows(rows: 50, size: 8)))
        _ = encoder.forward(x, training: true)
        let g = try XCTUnwrap(encoder.backward(r, needInputGradient: true))
        // L = Σ r ⊙ y is linear in x: a central difference is exact up to rounding.
        for i in 0..<x.values.count {
            var plus = x, minus = x
            plus.values[i] += 0.01
            minus.values[i] -= 0.01
            let numeric =
                (MathTestSupport.weightedSum(encoder.forward(plus, training: false), r)
                    - MathTestSupport.weightedSum(encoder.forward(minus, training: false), r)) / 0.02
            XCTAssertEqual(Double(g.values[i]), numeric, accuracy: 1e-3, "dL/dx[\(i)]")
        }
        let decoder = PrincipalReconstruction(rank: 2, windowSize: 8, name: "pca")
        let z = MathTestSupport.randomMatrix(rows: 3, cols: 2, rng: &rng)
        _ = decoder.forward(z, training: true)
        let gz = try XCTUnwrap(decoder.backward(x, needInputGradient: true))
        XCTAssertEqual(gz.rows, 3)
        XCTAssertEqual(gz.cols, 2)

        // Fitted state: saved like weights, never moved by the optimiser nor counted as trainable.
        let model = Sequential([encoder])
        XCTAssertEqual(model.weightCount, 0)
        XCTAssertEqual(model.weights.map(\.name), ["pca.mean", "pca.basis"])
        let before = encoder.state.basis.value.values
        encoder.state.basis.gradient = Matrix(rows: 8, cols: 2, repeating: 1)
        Adam(learningRate: 0.1).step(model.weights)
        XCTAssertEqual(encoder.state.basis.value.values, before)
    }

    func testGatedParallelSumGradientsMatchFiniteDifferences() {
        var rng = SeededGenerator(seed: 5)
        let gate = Gate(size: 3, name: "g")
        let layer = ParallelSum(
            Dense(inputSize: 4, outputSize: 3, activation: .linear, name: "a", rng: &rng),
            Sequential([Dense(inputSize: 4, outputSize: 3, activation: .tanh, name: "b", rng: &rng), gate]))
        LayerTestSupport.randomizeParameters(layer, seed: 6)
        LayerTestSupport.checkGradients(layer, batch: 2, inputSize: 4, outputSize: 3, seed: 7)
    }

    func testAFamilyWithTheLinearPathStartsAsPCA() throws {
        let x = windows(rows: 300, size: 16)
        let stats = statistics(x)
        var rng = SeededGenerator(seed: 9)
        let c = ModelConfiguration(
            inputShape: [16], outputShape: [4], seed: 9,
            parameters: try DenseStackArchitecture.schema.resolve([:]))
        XCTAssertEqual(c.parameters["linear_path"], .bool(true), "on by default")
        let hidden = DenseStackArchitecture.hiddenSizes(c, windowSize: 16, interfaceSize: 4)
        let model = try PrincipalPath.encoder(DenseStackArchitecture.encoder([16] + hidden + [4], c, rng: &rng), c)
        try model.fit(stats)
        let pca = PrincipalProjection(windowSize: 16, rank: 4, name: "pca")
        try pca.fit(stats)
        let expected = pca.forward(x, training: false)
        let actual = model.forward(x, training: false)
        XCTAssertEqual(actual.values, expected.values, "the gated network adds exactly nothing before training")
        XCTAssertGreaterThan(model.weightCount, 0, "the network is still there to learn a correction")

        var off = c
        off.parameters["linear_path"] = .bool(false)
        var rng2 = SeededGenerator(seed: 9)
        let plain = try PrincipalPath.encoder(DenseStackArchitecture.encoder([16] + hidden + [4], off, rng: &rng2), off)
        XCTAssertFalse(plain.weights.contains { $0.name.hasPrefix("pca.") }, "linear_path=false gives the plain network")
    }

    func testAFitOfTheWrongWindowIsRefused() {
        let layer = PrincipalProjection(windowSize: 8, rank: 2, name: "pca")
        XCTAssertThrowsError(try layer.fit(statistics(windows(rows: 20, size: 6)))) {
            XCTAssertEqual(($0 as? RPCError)?.code, RPCErrorCode.invalidParams)
        }
    }
}
