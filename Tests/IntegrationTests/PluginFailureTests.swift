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
        _ = try encoder.call(MethodName.configure, ConfigureParams(inputShape: [8], outputShape: [2], seed: 1, parameters: [:]), as: ConfigureResult.self)
        let started = Date()
        XCTAssertThrowsError(try encoder.call(MethodName.forward, ForwardParams(input: Tensor(rows: 1, cols: 8, values: Array(repeating: 0, count: 8)), training: false),
                                              as: ForwardResult.self)) { error in
            guard case PluginError.timedOut(_, let method, _) = error else { return XCTFail("\(error)") }
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
        XCTAssertThrowsError(try FeatureExtractionRun(config: config, environment: RunEnvironment(pluginDirectories: [TestPlugins.directory], sandbox: TestPlugins.sandbox)).run()) { error in
            XCTAssertTrue(error is PluginError, "\(error)")
        }
        XCTAssertEqual(dir.contents(), [], "no output, staged or final, may survive a failed run")
    }
}
