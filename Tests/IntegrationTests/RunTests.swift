import Coordinator
import Foundation
import PluginHost
import PluginProtocol
import TestSupport
import XCTest

/// Whole runs through `FeatureExtractionRun` with real plugins and real files.
final class RunTests: XCTestCase {
    private func config(_ dir: TemporaryDirectory) -> RunConfiguration {
        var c = RunConfiguration()
        c.inputFile = BuiltProducts.sample("eurusd_1h_d1.csv")
        c.columns = ["CLOSE"]
        c.maxSteps = 3000
        c.windowSize = 32
        c.initialSize = 8
        c.epochs = 2
        c.outputFile = dir.file("features.csv")
        return c
    }

    private func run(_ c: RunConfiguration) throws -> RunSummary {
        try FeatureExtractionRun(config: c, environment: TestPlugins.environment()).run()
    }

    func testEncoderParametersNeverReachTheDecoder() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        var c = config(dir)
        c.encoder = ["activation": .string("relu"), "intermediate_layers": .number(2)]
        c.decoder = ["learning_rate": .number(0.002)]
        let s = try run(c)
        XCTAssertEqual(s.encoder.parameters["activation"], .string("relu"))
        XCTAssertEqual(s.encoder.parameters["intermediate_layers"], .number(2))
        XCTAssertEqual(s.decoder?.parameters["activation"], .string("tanh"), "the decoder keeps its default")
        XCTAssertEqual(s.decoder?.parameters["intermediate_layers"], .number(1))
        XCTAssertEqual(s.decoder?.parameters["learning_rate"], .number(0.002))
        XCTAssertEqual(s.encoder.parameters["learning_rate"], .number(0.003), "the decoder's rate stays with the decoder")
        XCTAssertEqual(s.encoder.debugInfo["activation"], .string("relu"), "the plugin itself reports what it received")
        XCTAssertEqual(s.decoder?.debugInfo["activation"], .string("tanh"))
    }

    /// Copies of the encoder in more processes compute the same features, byte for byte.
    func testFeaturesAreTheSameBytesWhateverTheNumberOfEncoderProcesses() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        var c = config(dir)
        c.maxSteps = nil  // the whole sample: 8 blocks of 4096 windows to share out
        c.epochs = 1
        var features: [Data] = []
        var loads: [Int] = []
        for processes in [1, 3] {
            c.encodeProcesses = processes
            c.outputFile = dir.file("features-\(processes).csv")
            let before = try TestPlugins.store.entries().count
            _ = try run(c)
            loads.append(try TestPlugins.store.entries().dropFirst(before).filter { $0.action == "plugin.load" }.count)
            features.append(try Data(contentsOf: URL(fileURLWithPath: c.outputFile!)))
        }
        XCTAssertEqual(loads[1] - loads[0], 2, "two more encoder processes were started")
        XCTAssertGreaterThan(features[0].count, 30_000 * 8 * 5)
        XCTAssertEqual(features[0], features[1])
        XCTAssertThrowsError(
            try {
                c.encodeProcesses = 0; try c.validate()
            }()
        ) { error in
            XCTAssertTrue("\(error)".contains("encode_processes"), "\(error)")
        }
    }

    func testTheAutomaticNumberOfEncoderProcessesFollowsTheInputAndTheCores() {
        XCTAssertEqual(EncodeProcesses.count(configured: nil, windows: 30_000, batch: 4096, cores: 8), 1, "a short input")
        XCTAssertEqual(EncodeProcesses.count(configured: nil, windows: 1_000_000, batch: 4096, cores: 2), 2)
        XCTAssertEqual(EncodeProcesses.count(configured: nil, windows: 1_000_000, batch: 4096, cores: 64), 4, "at most 4")
        XCTAssertEqual(EncodeProcesses.count(configured: 8, windows: 10_000, batch: 4096, cores: 2), 3, "no more than batches")
        XCTAssertEqual(EncodeProcesses.count(configured: 2, windows: 10, batch: 4096, cores: 2), 1)
    }

    func testRunWideLearningRateFillsOnlyUnsetPluginRates() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        var c = config(dir)
        c.learningRate = 0.004
        c.decoder = ["learning_rate": .number(0.002)]
        let s = try run(c)
        XCTAssertEqual(s.encoder.parameters["learning_rate"], .number(0.004))
        XCTAssertEqual(s.decoder?.parameters["learning_rate"], .number(0.002))
    }

    func testUnknownPluginParameterIsAConfigurationError() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        var c = config(dir)
        c.decoder = ["learnig_rate": .number(0.1)]
        XCTAssertThrowsError(try run(c)) { error in
            guard let e = error as? ConfigurationError else { return XCTFail("\(error)") }
            XCTAssertTrue(e.description.contains("learnig_rate") && e.description.contains("decoder"), e.description)
        }
        XCTAssertEqual(dir.contents(), [])
    }

    /// Two sines: an interface of 1 or 2 cannot hold their phases, 4 can.
    private func sineConfig(_ dir: TemporaryDirectory) throws -> RunConfiguration {
        let rows = (0..<3000).map { t in "\(t),\(sin(Double(t) / 5) + 0.5 * sin(Double(t) / 13))" }
        try ("t,value\n" + rows.joined(separator: "\n") + "\n").write(
            toFile: dir.file("sine.csv"), atomically: true, encoding: .utf8)
        var c = config(dir)
        c.inputFile = dir.file("sine.csv")
        c.columns = ["value"]
        c.batchSize = 16
        c.learningRate = 0.005
        c.epochs = 3
        c.thresholdError = 2e-3
        return c
    }

    func testGrowingSearchStopsAtTheFirstSizeMeetingTheThreshold() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        var c = try sineConfig(dir)
        c.initialSize = 1
        c.stepSize = 3
        let s = try run(c)
        let steps = try XCTUnwrap(s.search)
        XCTAssertGreaterThan(steps.count, 1, "size 1 should not meet \(c.thresholdError!)")
        XCTAssertEqual(steps.map(\.interfaceSize), Array(stride(from: 1, through: 1 + 3 * (steps.count - 1), by: 3)))
        XCTAssertTrue(steps.last!.metThreshold)
        XCTAssertTrue(steps.dropLast().allSatisfy { !$0.metThreshold })
        XCTAssertEqual(s.interfaceSize, steps.last!.interfaceSize)
        let header = try String(contentsOfFile: dir.file("features.csv"), encoding: .utf8).prefix { $0 != "\n" }
        XCTAssertEqual(header.split(separator: ",").count, s.interfaceSize)
    }

    func testShrinkingSearchKeepsTheSmallestSizeMeetingTheThreshold() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        var c = try sineConfig(dir)
        c.initialSize = 12
        c.stepSize = 4
        c.incrementalSearch = false
        let s = try run(c)
        let steps = try XCTUnwrap(s.search)
        let met = steps.filter(\.metThreshold).map(\.interfaceSize)
        XCTAssertFalse(met.isEmpty)
        XCTAssertFalse(steps.last!.metThreshold, "shrinking goes on until the threshold fails (or size 1)")
        XCTAssertEqual(s.interfaceSize, met.min())
        XCTAssertEqual(steps.map(\.interfaceSize), Array(steps.map(\.interfaceSize).sorted().reversed()), "sizes only shrink")
    }
}
