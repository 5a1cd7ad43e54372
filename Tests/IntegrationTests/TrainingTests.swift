import Coordinator
import PluginHost
import PluginProtocol
import TestSupport
import XCTest

/// The coordinator training real plugin processes.
final class TrainingTests: XCTestCase {
    /// Two noisy sine columns: structure an autoencoder can learn, and a known answer's scale.
    private func catalog(rows: Int, phase: Float) -> WindowCatalog {
        let a = (0..<rows).map { 0.5 + 0.4 * sin(Float($0) / 9 + phase) }
        let b = (0..<rows).map { 0.5 + 0.3 * cos(Float($0) / 5 + phase) }
        return WindowCatalog(series: [a, b], windowSize: 24)
    }

    private func train(seed: UInt64, transports: [TensorTransport] = [.sharedMemory, .binary, .base64], epochs: Int = 4) throws
        -> (
            TrainingResult, ModelState
        )
    {
        let encoder = try PluginConnection(
            package: try TestPlugins.locator.locate(name: "ann", role: .encoder), role: .encoder, sandbox: TestPlugins.sandbox)
        let decoder = try PluginConnection(
            package: try TestPlugins.locator.locate(name: "ann", role: .decoder), role: .decoder, sandbox: TestPlugins.sandbox)
        try encoder.initialize(transports: transports)
        try decoder.initialize(transports: transports)
        let model = Autoencoder(encoder: encoder, decoder: decoder)
        defer { model.shutdown() }
        try model.configure(
            windowSize: 24, interfaceSize: 6, seed: seed, encoderParameters: ["learning_rate": .number(0.005)],
            decoderParameters: ["learning_rate": .number(0.005)])
        let trainer = Trainer(epochs: epochs, batchSize: 32, seed: seed, patience: 0)
        let result = try trainer.train(model, training: catalog(rows: 1500, phase: 0), validation: catalog(rows: 400, phase: 1))
        return (result, try model.exportState().encoder)
    }

    func testTrainingReducesValidationErrorWellBelowTheStart() throws {
        let (result, _) = try train(seed: 3, epochs: 6)
        let first = try XCTUnwrap(result.epochs.first?.validationMSE), last = try XCTUnwrap(result.validationMSE)
        XCTAssertEqual(result.epochs.count, 6)
        XCTAssertLessThan(last, first / 5, "validation MSE went \(first) -> \(last)")
        XCTAssertLessThan(last, 2e-3)
        XCTAssertEqual(result.trainingWindows, 2 * (1500 - 24 + 1))
    }

    func testSameSeedGivesTheSameModelAndTransportsAgreeBitForBit() throws {
        let (r1, s1) = try train(seed: 11, epochs: 2)
        let (r2, s2) = try train(seed: 11, epochs: 2)
        let (r3, s3) = try train(seed: 11, transports: [.base64], epochs: 2)
        let (r5, s5) = try train(seed: 11, transports: [.binary], epochs: 2)
        let (_, s4) = try train(seed: 12, epochs: 2)
        XCTAssertEqual(s1, s2)
        XCTAssertEqual(r1.validationMSE, r2.validationMSE)
        XCTAssertEqual(s1, s3, "the tensor transport must not change a single bit")
        XCTAssertEqual(r1.validationMSE, r3.validationMSE)
        XCTAssertEqual(s1, s5)
        XCTAssertEqual(r1.validationMSE, r5.validationMSE)
        XCTAssertNotEqual(s1, s4)
    }

    func testEarlyStoppingStopsAndRestoresTheBestEpoch() throws {
        let encoder = try TestPlugins.connect("ann", .encoder)
        let decoder = try TestPlugins.connect("ann", .decoder)
        let model = Autoencoder(encoder: encoder, decoder: decoder)
        defer { model.shutdown() }
        // A learning rate this high makes validation error bounce, so patience 1 must trigger.
        try model.configure(
            windowSize: 24, interfaceSize: 6, seed: 5, encoderParameters: ["learning_rate": .number(0.5)],
            decoderParameters: ["learning_rate": .number(0.5)])
        let trainer = Trainer(epochs: 30, batchSize: 64, seed: 5, patience: 1)
        let validation = catalog(rows: 400, phase: 1)
        let result = try trainer.train(model, training: catalog(rows: 800, phase: 0), validation: validation)
        XCTAssertLessThan(result.epochs.count, 30, "patience 1 should stop a bouncing run early")
        // The starting point is a candidate too: early stopping never returns a worse model than it started with.
        let best = ([result.initialValidationMSE] + result.epochs.map(\.validationMSE)).compactMap { $0 }.min()!
        XCTAssertEqual(result.validationMSE, best)
        XCTAssertEqual(
            try trainer.evaluate(model, validation), best, accuracy: best * 1e-6, "the kept weights are the best epoch's")
    }
}
