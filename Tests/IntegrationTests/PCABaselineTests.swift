import Coordinator
import Foundation
import PluginHost
import PluginProtocol
import TestSupport
import XCTest

/// PCA as a plugin and as the reference every run reports, through real plugin processes:
/// the closed-form families, the fit capability, and families that start from PCA.
final class PCABaselineTests: XCTestCase {
    private func config(_ dir: TemporaryDirectory, _ family: String) -> RunConfiguration {
        var c = RunConfiguration()
        c.inputFile = BuiltProducts.sample("eurusd_1h_d1.csv")
        c.validationFile = BuiltProducts.sample("eurusd_1h_d2.csv")
        c.columns = ["CLOSE"]
        c.maxSteps = 4000
        c.windowSize = 32
        c.initialSize = 8
        c.batchSize = 64
        c.epochs = 2
        c.encoderPlugin = family
        c.decoderPlugin = family
        c.outputFile = dir.file("features.csv")
        return c
    }

    private func run(_ c: RunConfiguration) throws -> RunSummary {
        try FeatureExtractionRun(config: c, environment: TestPlugins.environment()).run()
    }

    func testThePCAPluginsReconstructExactlyAsTheBaselineAndTrainNothing() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        var c = config(dir, "pca")
        c.saveEncoder = dir.file("enc.safetensors")
        c.saveDecoder = dir.file("dec.safetensors")
        c.saveLog = dir.file("log.json")
        let s = try run(c)
        XCTAssertEqual(s.training.last?.epochs.count, 0, "a closed-form pair is fitted, not trained")
        XCTAssertEqual(s.encoder.parameterCount, 0)
        let m = try XCTUnwrap(s.metrics.first)
        let baseline = try XCTUnwrap(m.baselinePCAMSE)
        XCTAssertGreaterThan(baseline, 0)
        XCTAssertLessThan(baseline, m.baselineWindowMeanMSE, "PCA-8 beats the window mean")
        XCTAssertEqual(try XCTUnwrap(m.pcaRatio), 1, accuracy: 1e-4, "the plugins are PCA to float precision")

        // The log carries both baselines and the ratio.
        let log =
            try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: dir.file("log.json")))) as? [String: Any]
        let metrics = try XCTUnwrap((log?["metrics"] as? [[String: Any]])?.first)
        XCTAssertEqual(metrics["baseline_pca_mse"] as? Double, baseline)
        XCTAssertNotNil(metrics["pca_ratio"] as? Double)
        XCTAssertNotNil(metrics["baseline_window_mean_mse"] as? Double)

        // The fit travels in the saved models: loaded, they reconstruct the same without a fit.
        var load = config(dir, "pca")
        load.validationFile = nil
        load.maxSteps = nil
        load.inputFile = BuiltProducts.sample("eurusd_1h_d2.csv")
        load.loadEncoder = c.saveEncoder
        load.loadDecoder = c.saveDecoder
        let loaded = try run(load)
        XCTAssertEqual(try XCTUnwrap(loaded.metrics.first?.windowMSE), m.windowMSE, accuracy: 1e-6 * m.windowMSE)
        XCTAssertNil(loaded.metrics.first?.baselinePCAMSE, "no training windows: no baseline to report")
    }

    /// An interface as wide as the window: PCA is exact, so there is no ratio to report (its
    /// computed error is rounding noise, and a ratio to it read as "1e17 times worse than PCA").
    func testAnInterfaceAsWideAsTheWindowReportsPCAAsExactWithoutARatio() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        var c = config(dir, "ann")
        c.initialSize = 32
        c.epochs = 1
        let m = try XCTUnwrap(run(c).metrics.first)
        XCTAssertEqual(m.baselinePCAMSE, 0)
        XCTAssertNil(m.pcaRatio)
        XCTAssertLessThan(m.windowMSE, 1e-3 * m.baselineWindowMeanMSE, "the model itself still reconstructs")
    }

    func testTheJumpsFamilyBeatsPCAOfTheSameSize() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        var c = config(dir, "jumps")
        c.initialSize = 12
        let s = try run(c)
        XCTAssertEqual(s.training.last?.epochs.count, 0)
        let ratio = try XCTUnwrap(s.metrics.first?.pcaRatio)
        XCTAssertLessThan(ratio, 0.95, "jumps spend part of the interface on jumps and reconstruct better than PCA-12")
        XCTAssertEqual(s.encoder.parameters["jump_share"], .number(0.375))

        var plain = c
        plain.encoder = ["jump_share": .number(0)]
        plain.decoder = ["jump_share": .number(0)]
        let pca = try run(plain)
        XCTAssertEqual(try XCTUnwrap(pca.metrics.first?.pcaRatio), 1, accuracy: 1e-4, "no jumps: plain PCA")
    }

    func testEveryTrainedFamilyStartsAtPCAAndNeverEndsWorse() throws {
        for family in ["ann", "cnn", "lstm", "transformer"] {
            let dir = try TemporaryDirectory()
            defer { dir.remove() }
            let s = try run(config(dir, family))
            let result = try XCTUnwrap(s.training.last, family)
            let start = try XCTUnwrap(result.initialValidationMSE, family)
            let end = try XCTUnwrap(result.validationMSE, family)
            XCTAssertEqual(result.epochs.count, 2, family)
            XCTAssertLessThanOrEqual(end, start, "\(family): early stopping keeps the starting point when training does not help")
            let m = try XCTUnwrap(s.metrics.first, family)
            XCTAssertEqual(start / (try XCTUnwrap(m.baselinePCAMSE)), 1, accuracy: 1e-3, "\(family): the untrained model is PCA")
            XCTAssertLessThanOrEqual(try XCTUnwrap(m.pcaRatio), 1 + 1e-4, family)
        }
    }

    func testWithoutTheLinearPathTheFamilyIsTheOriginalNetwork() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        var c = config(dir, "ann")
        c.encoder = ["linear_path": .bool(false)]
        c.decoder = ["linear_path": .bool(false)]
        let s = try run(c)
        let result = try XCTUnwrap(s.training.last)
        let m = try XCTUnwrap(s.metrics.first)
        XCTAssertGreaterThan(
            try XCTUnwrap(result.initialValidationMSE) / (try XCTUnwrap(m.baselinePCAMSE)), 2,
            "a randomly initialised network starts far from PCA")
    }

    func testTheStoreRecordsThePCABaseline() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let s = try run(config(dir, "pca"))
        let runs = try TestPlugins.store.runs(limit: 1)
        let statistics = try TestPlugins.store.statistics(run: try XCTUnwrap(runs.first?.id))
        let column = try XCTUnwrap(statistics.first { $0.column == "CLOSE" })
        XCTAssertEqual(column.pcaBaselineMSE, s.metrics.first?.baselinePCAMSE)
    }
}
