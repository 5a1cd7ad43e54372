import Coordinator
import PluginHost
import PluginProtocol
import XCTest

/// Mini-batch training, early stopping and restarts, in-process.
final class TrainerTests: XCTestCase {
    private let window = 12

    private func windows(_ length: Int, phase: Double) -> WindowCatalog {
        let series: [Float] = (0..<length).map { (t: Int) -> Float in
            let x = Double(t)
            return Float(sin(x * 0.3 + phase) + 0.5 * sin(x * 0.05 + phase))
        }
        return WindowCatalog(series: [series], windowSize: window)
    }

    private func model(learningRate: Double = 1e-2) throws -> Autoencoder {
        let model = Autoencoder(
            encoder: try InProcessPlugin<LinearTestEncoder>(), decoder: try InProcessPlugin<LinearTestDecoder>())
        let knobs: [String: JSONValue] = ["learning_rate": .number(learningRate)]
        try model.configure(windowSize: window, interfaceSize: 3, seed: 3, encoderParameters: knobs, decoderParameters: knobs)
        return model
    }

    func testTrainingLowersTheValidationError() throws {
        let trainer = Trainer(epochs: 8, batchSize: 16, seed: 1, patience: 0)
        let result = try trainer.train(try model(), training: windows(300, phase: 0), validation: windows(120, phase: 1))
        XCTAssertEqual(result.epochs.count, 8)
        let initial = try XCTUnwrap(result.initialValidationMSE), final = try XCTUnwrap(result.validationMSE)
        XCTAssertLessThan(final, initial * 0.5, "8 epochs should at least halve a random linear model's error")
    }

    /// The same seed gives the same weights: shuffling and initialisation are deterministic.
    func testTheSameSeedTrainsTheSameModel() throws {
        let trainer = Trainer(epochs: 2, batchSize: 16, seed: 5, patience: 0)
        let (a, b) = (try model(), try model())
        let (training, validation) = (windows(200, phase: 0), windows(80, phase: 2))
        XCTAssertEqual(
            try trainer.train(a, training: training, validation: validation).validationMSE,
            try trainer.train(b, training: training, validation: validation).validationMSE)
        XCTAssertEqual(try a.exportState().encoder, try b.exportState().encoder)
    }

    /// A step size that makes training diverge: early stopping keeps the starting point.
    func testEarlyStoppingNeverReturnsAWorseModelThanItStartedWith() throws {
        let model = try model(learningRate: 5)
        var trainer = Trainer(epochs: 6, batchSize: 8, seed: 1, patience: 2)
        let validation = windows(80, phase: 1)
        let result = try trainer.train(model, training: windows(200, phase: 0), validation: validation)
        let initial = try XCTUnwrap(result.initialValidationMSE)
        XCTAssertGreaterThan(try XCTUnwrap(result.epochs.first?.validationMSE), initial, "the step size should make it worse")
        XCTAssertLessThanOrEqual(result.epochs.count, 3, "patience 2 stops after two epochs without progress")
        XCTAssertEqual(result.validationMSE, initial)
        trainer.inferenceBatch = 7
        XCTAssertEqual(
            try trainer.evaluate(model, validation), initial, accuracy: initial * 1e-5, "the starting weights are back")
    }

    /// A crash mid-epoch: the plugin is relaunched, both models go back to the epoch's start,
    /// and training finishes every epoch.
    func testARestartResumesFromTheLastCompletedEpoch() throws {
        let encoder = try InProcessPlugin<LinearTestEncoder>()
        let model = Autoencoder(encoder: encoder, decoder: try InProcessPlugin<LinearTestDecoder>())
        try model.configure(windowSize: window, interfaceSize: 3, seed: 3, encoderParameters: [:], decoderParameters: [:])
        var relaunched: [PluginRole] = []
        model.relaunch = { role in
            relaunched.append(role)
            return role == .encoder ? try InProcessPlugin<LinearTestEncoder>() : try InProcessPlugin<LinearTestDecoder>()
        }
        var trainer = Trainer(epochs: 3, batchSize: 16, seed: 1, patience: 0)
        trainer.restarts = 1
        var epochs = 0
        trainer.onEpoch = { _ in
            epochs += 1
            if epochs == 1 { encoder.crashOn = MethodName.backward }  // mid-epoch 2
        }
        var restarts: [Int] = []
        trainer.onRestart = { _, n in restarts.append(n) }
        let result = try trainer.train(model, training: windows(200, phase: 0), validation: windows(60, phase: 1))
        XCTAssertEqual(relaunched, [.encoder])
        XCTAssertEqual(restarts, [1])
        XCTAssertEqual(result.restarts, 1)
        XCTAssertEqual(result.epochs.map(\.epoch), [1, 2, 3])
    }

    /// Without restarts left, the plugin's failure ends training with that failure.
    func testWithoutRestartsAFailureEndsTraining() throws {
        let encoder = try InProcessPlugin<LinearTestEncoder>()
        let model = Autoencoder(encoder: encoder, decoder: try InProcessPlugin<LinearTestDecoder>())
        try model.configure(windowSize: window, interfaceSize: 3, seed: 3, encoderParameters: [:], decoderParameters: [:])
        encoder.crash(during: MethodName.forward)
        XCTAssertThrowsError(
            try Trainer(epochs: 2, batchSize: 16, seed: 1, patience: 0)
                .train(model, training: windows(100, phase: 0), validation: nil)
        ) { error in
            guard case .crashed? = error as? PluginError else { return XCTFail("\(error)") }
        }
    }
}

/// Answers of any finite size never make the coordinator trap: the error of a 1e30 output is a
/// huge number (its square fits a Double), and a training step whose gradient overflows is the
/// decoder's fault, named.
final class HugeOutputTests: XCTestCase {
    func testAnEnormousDecoderOutputIsMeasuredAndThenRefusedByName() throws {
        let model = Autoencoder(
            encoder: try InProcessPlugin<LinearTestEncoder>(), decoder: try InProcessPlugin<HugeOutputTestDecoder>())
        try model.configure(windowSize: 12, interfaceSize: 3, seed: 3, encoderParameters: [:], decoderParameters: [:])
        let series = (0..<100).map { Float($0 % 7) / 7 }
        let windows = WindowCatalog(series: [series], windowSize: 12)
        let mse = try Trainer(epochs: 1, batchSize: 16, seed: 1, patience: 0).evaluate(model, windows)
        XCTAssertTrue(mse.isFinite && mse > 1e40, "\(mse)")
        XCTAssertTrue(ScientificNotation.string(mse, decimals: 3).contains("e"), "prints without trapping")
        XCTAssertEqual(ScientificNotation.string(.infinity, decimals: 3), "inf")
        XCTAssertThrowsError(
            try Trainer(epochs: 1, batchSize: 16, seed: 1, patience: 0).train(model, training: windows, validation: windows)
        ) {
            error in
            let text = "\(error)"
            XCTAssertTrue(text.contains("decoder 'huge-output'"), text)
            guard error is PluginError else { return XCTFail("not a plugin error (exit 69): \(error)") }
        }
    }

    func testTheSquaredErrorOfTheLargestFloatsIsFinite() {
        var gradient: [Float] = []
        let loss = Autoencoder.mseGradient([Float.greatestFiniteMagnitude, -1e30], [0, 1], into: &gradient)
        XCTAssertTrue(loss.isFinite, "\(loss)")
        XCTAssertEqual(
            loss, (Double(Float.greatestFiniteMagnitude) * Double(Float.greatestFiniteMagnitude) + 1e60) / 2, accuracy: 1e70)
    }
}
