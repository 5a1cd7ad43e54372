import Coordinator
import PluginHost
import PluginProtocol
import TestSupport
import XCTest

/// Plugins that crash or hang: the coordinator must notice, explain and survive.
final class PluginFailureTests: XCTestCase {
    func testCrashMidTrainingIsReportedWithSignalAndStderr() throws {
        let encoder = try TestPlugins.connect("crash-mid-training", .encoder)
        let decoder = try TestPlugins.connect("ann", .decoder)
        let model = Autoencoder(encoder: encoder, decoder: decoder)
        defer { model.shutdown() }
        try model.configure(windowSize: 16, interfaceSize: 4, seed: 1, encoderParameters: [:], decoderParameters: [:])
        let batch = Tensor(rows: 8, cols: 16, values: (0..<128).map { Float($0 % 16) / 16 })
        var caught: (any Error)?
        for _ in 0..<5 {
            do { _ = try model.trainStep(batch) } catch { caught = error; break }
        }
        guard case PluginError.crashed(let plugin, _, let status, let tail)? = caught as? PluginError else {
            return XCTFail("expected a crash report, got \(String(describing: caught))")
        }
        XCTAssertTrue(plugin.contains("crash-mid-training"))
        XCTAssertTrue(status.contains("SIGABRT"), status)
        XCTAssertTrue(tail.contains("crashing on purpose"), tail)
        // Later calls fail fast with the same error instead of hanging.
        XCTAssertThrowsError(try model.encode(batch))
    }

    func testHangIsCutOffByTheCallTimeout() throws {
        var limits = RPCLimits()
        limits.callTimeout = 1
        let encoder = try TestPlugins.connect("hang-on-forward", .encoder, limits: limits)
        defer { encoder.shutdown() }
        _ = try encoder.call(
            MethodName.configure, ConfigureParams(inputShape: [8], outputShape: [2], seed: 1, parameters: [:]),
            as: ConfigureResult.self)
        let started = Date()
        XCTAssertThrowsError(
            try encoder.call(
                MethodName.forward,
                ForwardParams(input: Tensor(rows: 1, cols: 8, values: Array(repeating: 0, count: 8)), training: false),
                as: ForwardResult.self)
        ) { error in
            guard case PluginError.timedOut(_, let method, _, _) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(method, MethodName.forward)
        }
        XCTAssertLessThan(Date().timeIntervalSince(started), 10)
        XCTAssertEqual(kill(encoder.processID, 0), -1, "the hung plugin must have been killed")
    }

    func testRunWithCrashingPluginLeavesNoOutputs() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        var config = RunConfiguration()
        config.inputFile = BuiltProducts.sample("eurusd_1h_d1.csv")
        config.columns = ["CLOSE"]
        config.maxSteps = 2000
        config.windowSize = 32
        config.initialSize = 8
        config.encoderPlugin = "crash-mid-training"
        config.outputFile = dir.file("features.csv")
        config.saveEncoder = dir.file("enc.safetensors")
        config.saveLog = dir.file("log.json")
        XCTAssertThrowsError(try FeatureExtractionRun(config: config, environment: TestPlugins.environment()).run()) { error in
            XCTAssertTrue(error is PluginError, "\(error)")
        }
        XCTAssertEqual(dir.contents(), [], "no output, staged or final, may survive a failed run")
    }
}

/// `--plugin-restarts`: a plugin that dies mid-epoch is started again and training resumes.
final class PluginRestartTests: XCTestCase {
    private func config(_ dir: TemporaryDirectory, restarts: Int) -> RunConfiguration {
        var c = RunConfiguration()
        c.inputFile = BuiltProducts.sample("eurusd_1h_d1.csv")
        c.columns = ["CLOSE"]
        c.maxSteps = 1900  // 1520 training windows of 32: 16 batches of 100 per epoch
        c.windowSize = 32
        c.initialSize = 4
        c.batchSize = 100
        c.epochs = 2
        c.pluginRestarts = restarts
        c.encoderPlugin = "crash-mid-training"
        c.encoder = ["crash_after": .number(20)]  // in epoch 2; a fresh process then finishes that epoch
        c.outputFile = dir.file("features.csv")
        return c
    }

    func testCrashedPluginIsRestartedAndTrainingResumesFromTheLastEpoch() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let notes = EventLog()
        let env = TestPlugins.environment(info: { notes.append($0) })
        let summary = try FeatureExtractionRun(config: config(dir, restarts: 1), environment: env).run()
        let training = try XCTUnwrap(summary.training.last)
        XCTAssertEqual(training.restarts, 1)
        XCTAssertEqual(training.epochs.map(\.epoch), [1, 2], "epoch 2 was redone, not skipped")
        XCTAssertTrue(notes.all.contains { $0.contains("restart 1 of 1") && $0.contains("SIGABRT") }, "\(notes.all)")
        XCTAssertTrue(FileManager.default.fileExists(atPath: dir.file("features.csv")))
    }

    func testWithoutRestartsTheSameCrashFailsTheRun() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let env = TestPlugins.environment()
        XCTAssertThrowsError(try FeatureExtractionRun(config: config(dir, restarts: 0), environment: env).run()) { error in
            guard case PluginError.crashed? = error as? PluginError else { return XCTFail("\(error)") }
        }
        XCTAssertEqual(dir.contents(), [])
    }
}
