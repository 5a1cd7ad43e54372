import Foundation
import TestSupport
import XCTest

/// What a data scientist does with the tool, as the README tells them, checked end to end.
final class DataScientistScenarioTests: XCTestCase {
    private var dir: TemporaryDirectory!

    override func setUpWithError() throws { dir = try TemporaryDirectory() }
    override func tearDown() { dir.remove() }

    private func lines(_ path: String) throws -> [Substring] {
        try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n")
    }

    /// Train once, then turn new data into features with the saved encoder, dates lined up.
    func testTrainThenFeaturiseNewDataWithTheSavedEncoder() throws {
        let train = try CommandRunner.run([
            BuiltProducts.sample("eurusd_1h_d1.csv"), "--columns", "CLOSE", "--window-size", "48",
            "--initial-size", "8", "--epochs", "2", "--save-encoder", dir.file("enc.safetensors"),
            "--output-file", dir.file("train-features.csv"),
        ])
        XCTAssertEqual(train.status, 0, train.stderr)
        XCTAssertTrue(train.stdout.contains("window-mean baseline"), "the summary reports the baseline beside the error")
        let new = try CommandRunner.run([
            BuiltProducts.sample("eurusd_1h_d2.csv"), "--columns", "CLOSE", "--window-size", "48",
            "--load-encoder", dir.file("enc.safetensors"), "--output-file", dir.file("new-features.csv"), "--force-date",
        ])
        XCTAssertEqual(new.status, 0, new.stderr)
        let features = try lines(dir.file("new-features.csv"))
        let data = try lines(BuiltProducts.sample("eurusd_1h_d2.csv"))
        XCTAssertEqual(features.count - 1, data.count - 1 - 48 + 1)
        XCTAssertEqual(features[0].split(separator: ",").count, 1 + 8)
        for row in [1, 100, features.count - 1] {
            XCTAssertEqual(
                features[row].split(separator: ",")[0], data[row + 47].split(separator: ",")[0],
                "row \(row) is dated by its window's last row")
        }
    }

    func testTheSameSeedReproducesTheSameFeaturesAndAnotherSeedDoesNot() throws {
        func features(seed: Int, name: String) throws -> String {
            let r = try CommandRunner.run([
                BuiltProducts.sample("eurusd_1h_d1.csv"), "--columns", "CLOSE", "--max-steps", "3000",
                "--window-size", "32", "--initial-size", "4", "--epochs", "2", "--seed", "\(seed)",
                // The seed decides the network's start; with the linear path every seed starts as PCA.
                "--encoder-param", "linear_path=false", "--decoder-param", "linear_path=false",
                "--output-file", dir.file(name), "--quiet-mode",
            ])
            XCTAssertEqual(r.status, 0, r.stderr)
            return try String(contentsOfFile: dir.file(name), encoding: .utf8)
        }
        let a = try features(seed: 1, name: "a.csv"), b = try features(seed: 1, name: "b.csv"),
            c = try features(seed: 2, name: "c.csv")
        XCTAssertEqual(a, b)
        XCTAssertNotEqual(a, c)
    }

    func testEveryNumericColumnIsUsedByDefaultWithNamedFeatureColumns() throws {
        let r = try CommandRunner.run([
            BuiltProducts.sample("eurusd_1h_d1.csv"), "--max-steps", "2000", "--window-size", "32",
            "--initial-size", "3", "--epochs", "1", "--output-file", dir.file("f.csv"),
            "--evaluate-decoder", dir.file("r.csv"),
        ])
        XCTAssertEqual(r.status, 0, r.stderr)
        let header = try lines(dir.file("f.csv"))[0].split(separator: ",").map(String.init)
        XCTAssertEqual(header, ["OPEN", "LOW", "HIGH", "CLOSE"].flatMap { c in (1...3).map { "\(c)_feature_\($0)" } })
        XCTAssertEqual(try lines(dir.file("r.csv"))[0], "OPEN,LOW,HIGH,CLOSE")
        for column in ["OPEN", "LOW", "HIGH", "CLOSE"] {
            XCTAssertTrue(r.stdout.contains("\(column): window MSE"), "a metric line per column")
        }
    }

    /// Progress: on a terminal, epoch lines and a line redrawn in place; in pipes and logs, epoch lines on stderr.
    func testProgressIsShownOnATerminalAndOneLinePerEpochInLogs() throws {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/script") else { throw XCTSkip("script(1) is not installed") }
        let command =
            ([
                BuiltProducts.executable("feature-extractor"), BuiltProducts.sample("eurusd_1h_d1.csv"), "--columns", "CLOSE",
                "--max-steps", "2000", "--window-size", "32", "--initial-size", "4", "--epochs", "3",
                "--output-file", dir.file("f.csv"), "--plugins-dir", TestPlugins.directory,
                "--sandbox-policy", BuiltProducts.repositoryRoot.appendingPathComponent("Policies").path,
            ])
            .map { "'\($0)'" }.joined(separator: " ")
        let withHome = "FEATURE_EXTRACTOR_HOME='\(TestPlugins.home)' " + command
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/script")
        p.arguments = ["-qec", withHome, "/dev/null"]
        let out = Pipe()
        p.standardOutput = out
        p.standardInput = FileHandle.nullDevice
        try p.run()
        let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        XCTAssertEqual(p.terminationStatus, 0, text)
        for epoch in 1...3 { XCTAssertTrue(text.contains("epoch \(epoch)/3"), text) }
        XCTAssertTrue(text.contains("left"), "an estimate of the remaining time")

        let piped = try CommandRunner.run([
            BuiltProducts.sample("eurusd_1h_d1.csv"), "--columns", "CLOSE", "--max-steps", "2000",
            "--window-size", "32", "--initial-size", "4", "--epochs", "3", "--output-file", dir.file("g.csv"),
        ])
        XCTAssertEqual(piped.status, 0)
        XCTAssertTrue(piped.stderr.contains("epoch 1/3"), "one line per epoch on stderr, for logs")
        XCTAssertFalse(piped.stdout.contains("epoch 1/3"), "stdout keeps the results")
        XCTAssertFalse(piped.stderr.contains("batch "), "no line redrawn in place when not on a terminal")
    }
}
