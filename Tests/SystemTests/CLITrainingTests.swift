import Foundation
import TestSupport
import XCTest

/// The `feature-extractor` executable, end to end on the shipped sample data.
final class CLITrainingTests: XCTestCase {
    /// One full training run, shared by the tests that inspect its outputs.
    nonisolated(unsafe) static var trained: (dir: TemporaryDirectory, result: CommandResult)?

    static func trainedRun() throws -> (dir: TemporaryDirectory, result: CommandResult) {
        if let t = trained { return t }
        let dir = try TemporaryDirectory()
        let result = try CommandRunner.run([
            BuiltProducts.sample("eurusd_1h_d1.csv"), "--validation-file", BuiltProducts.sample("eurusd_1h_d2.csv"),
            "--columns", "CLOSE", "--window-size", "64", "--initial-size", "16", "--epochs", "3", "--seed", "7",
            "--output-file", dir.file("features.csv"), "--evaluate-decoder", dir.file("reconstruction.csv"),
            "--save-encoder", dir.file("encoder.safetensors"), "--save-decoder", dir.file("decoder.safetensors"),
            "--save-log", dir.file("log.json"), "--save-config", dir.file("config.json"), "--force-date",
        ])
        trained = (dir, result)
        return (dir, result)
    }

    override class func tearDown() {
        trained?.dir.remove()
        trained = nil
    }

    private func csv(_ path: String) throws -> [[String]] {
        try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").map {
            $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        }
    }

    func testTrainingWritesFeaturesOneRowPerWindowWithDates() throws {
        let (dir, result) = try Self.trainedRun()
        XCTAssertEqual(result.status, 0, result.stderr)
        let rows = try csv(dir.file("features.csv"))
        let input = try csv(BuiltProducts.sample("eurusd_1h_d1.csv"))
        XCTAssertEqual(rows.count - 1, (input.count - 1) - 64 + 1, "one row per window")
        XCTAssertEqual(rows[0], ["DATE_TIME"] + (1...16).map { "feature_\($0)" })
        XCTAssertTrue(rows.dropFirst().allSatisfy { $0.count == 17 })
        XCTAssertEqual(rows[1][0], input[64][0], "a window's row carries the date of its last row")
        XCTAssertEqual(rows.last![0], input.last![0])
        XCTAssertTrue(rows.dropFirst().allSatisfy { $0.dropFirst().allSatisfy { Double($0)?.isFinite == true } })
    }

    func testReconstructionHasTheSeriesLengthAndBeatsTheWindowMeanBaseline() throws {
        let (dir, result) = try Self.trainedRun()
        XCTAssertEqual(result.status, 0, result.stderr)
        let rows = try csv(dir.file("reconstruction.csv"))
        let validation = try csv(BuiltProducts.sample("eurusd_1h_d2.csv"))
        XCTAssertEqual(rows.count, validation.count, "the validation series, header included, folded back")
        XCTAssertEqual(rows[0], ["DATE_TIME", "CLOSE"])
        let log =
            try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: dir.file("log.json")))) as! [String: Any]
        let metrics = try XCTUnwrap((log["metrics"] as? [[String: Any]])?.first)
        let mse = try XCTUnwrap(metrics["window_mse"] as? Double),
            baseline = try XCTUnwrap(metrics["baseline_window_mean_mse"] as? Double)
        XCTAssertLessThan(mse, baseline, "the autoencoder must beat reconstructing each window by its mean")
        // The reconstruction in the data's units is close to the data.
        let actual = validation.dropFirst().map { Double($0[4])! }, rebuilt = rows.dropFirst().map { Double($0[1])! }
        let mae = zip(actual, rebuilt).map { abs($0 - $1) }.reduce(0, +) / Double(actual.count)
        XCTAssertLessThan(mae, 0.01, "mean absolute error in EUR/USD")
        XCTAssertEqual(mae, try XCTUnwrap(metrics["mae"] as? Double), accuracy: 1e-5)
    }

    func testSavedLogAndConfigDescribeTheRun() throws {
        let (dir, result) = try Self.trainedRun()
        XCTAssertEqual(result.status, 0, result.stderr)
        let log =
            try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: dir.file("log.json")))) as! [String: Any]
        XCTAssertGreaterThan(log["execution_seconds"] as? Double ?? 0, 0)
        let config = try XCTUnwrap(log["configuration"] as? [String: Any])
        XCTAssertEqual(config["window_size"] as? Int, 64)
        let encoder = try XCTUnwrap(log["encoder"] as? [String: Any])
        let debug = try XCTUnwrap(encoder["debug_info"] as? [String: Any])
        XCTAssertEqual(debug["input_shape"] as? [Int], [64])
        XCTAssertEqual(debug["output_shape"] as? [Int], [16])
        XCTAssertGreaterThan(debug["steps"] as? Int ?? 0, 0)
        let saved =
            try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: dir.file("config.json"))))
            as! [String: Any]
        XCTAssertEqual(saved["initial_size"] as? Int, 16)
        XCTAssertEqual(saved["seed"] as? Int, 7)
        XCTAssertNil(saved["save_config"] as? String, "a saved config must not save itself again when loaded")
    }

    func testSaveLoadEvaluateReproducesTheFeaturesExactly() throws {
        let (dir, result) = try Self.trainedRun()
        XCTAssertEqual(result.status, 0, result.stderr)
        let again = try CommandRunner.run([
            BuiltProducts.sample("eurusd_1h_d1.csv"), "--columns", "CLOSE", "--window-size", "64",
            "--load-encoder", dir.file("encoder.safetensors"), "--output-file", dir.file("features-again.csv"), "--force-date",
        ])
        XCTAssertEqual(again.status, 0, again.stderr)
        XCTAssertEqual(
            try String(contentsOfFile: dir.file("features-again.csv"), encoding: .utf8),
            try String(contentsOfFile: dir.file("features.csv"), encoding: .utf8))
    }

    func testLoadedPairEvaluatesTheSameReconstruction() throws {
        let (dir, result) = try Self.trainedRun()
        XCTAssertEqual(result.status, 0, result.stderr)
        let again = try CommandRunner.run([
            BuiltProducts.sample("eurusd_1h_d1.csv"), "--validation-file", BuiltProducts.sample("eurusd_1h_d2.csv"), "--columns",
            "CLOSE",
            "--window-size", "64", "--load-encoder", dir.file("encoder.safetensors"), "--load-decoder",
            dir.file("decoder.safetensors"),
            "--output-file", dir.file("f2.csv"), "--evaluate-decoder", dir.file("reconstruction-again.csv"), "--force-date",
        ])
        XCTAssertEqual(again.status, 0, again.stderr)
        XCTAssertEqual(
            try String(contentsOfFile: dir.file("reconstruction-again.csv"), encoding: .utf8),
            try String(contentsOfFile: dir.file("reconstruction.csv"), encoding: .utf8))
    }

    func testSavedEncoderLoadsInPythonSafetensors() throws {
        let (dir, result) = try Self.trainedRun()
        XCTAssertEqual(result.status, 0, result.stderr)
        let script = """
            import json, sys
            from safetensors import safe_open
            with safe_open(sys.argv[1], framework="numpy") as f:
                meta = f.metadata()
                shapes = {k: list(f.get_tensor(k).shape) for k in f.keys()}
            print(json.dumps({"meta": meta, "shapes": shapes}))
            """
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["python3", "-c", script, dir.file("encoder.safetensors")]
        let out = Pipe()
        p.standardOutput = out
        p.standardError = Pipe()
        do { try p.run() } catch { throw XCTSkip("python3 is not available: \(error)") }
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        guard p.terminationStatus == 0 else {
            throw XCTSkip("python3 with the safetensors package is not installed (pip install safetensors numpy)")
        }
        let parsed = try JSONSerialization.jsonObject(with: data) as! [String: Any]
        let meta = try XCTUnwrap(parsed["meta"] as? [String: String])
        XCTAssertEqual(meta["plugin_name"], "ann")
        XCTAssertEqual(meta["role"], "encoder")
        XCTAssertEqual(meta["window_size"], "64")
        let shapes = try XCTUnwrap(parsed["shapes"] as? [String: [Int]])
        XCTAssertEqual(shapes["dense0.weight"], [64, 32])
        XCTAssertEqual(shapes["dense1.weight"], [32, 16])
    }
}
