import Foundation
import TestSupport
import XCTest

/// Option spellings, configuration layering and quiet mode.
final class CLIOptionsTests: XCTestCase {
    private var dir: TemporaryDirectory!

    override func setUpWithError() throws { dir = try TemporaryDirectory() }
    override func tearDown() { dir.remove() }

    private func log() throws -> [String: Any] {
        try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: dir.file("log.json")))) as! [String: Any]
    }

    func testOriginalUnderscoreSpellingsAreAccepted() throws {
        let r = try CommandRunner.run([
            "--input_file", BuiltProducts.sample("eurusd_1h_d1.csv"), "--columns", "CLOSE", "--max_steps", "1200",
            "--window_size", "24", "--initial_size", "3", "--epochs", "1", "--batch_size", "64",
            "--output_file", dir.file("f.csv"), "--save_log", dir.file("log.json"), "--quiet_mode",
        ])
        XCTAssertEqual(r.status, 0, r.stderr)
        let config = try XCTUnwrap(try log()["configuration"] as? [String: Any])
        XCTAssertEqual(config["window_size"] as? Int, 24)
        XCTAssertEqual(config["initial_size"] as? Int, 3)
        XCTAssertEqual(config["batch_size"] as? Int, 64)
        XCTAssertEqual(r.stdout, "", "quiet mode prints nothing on success")
    }

    func testCommandLineOverridesConfigFileWhichOverridesDefaults() throws {
        try
            #"{"window_size": 24, "epochs": 1, "initial_size": 5, "encoder": {"activation": "relu"}, "decoder": {"intermediate_layers": 2}}"#
            .write(toFile: dir.file("c.json"), atomically: true, encoding: .utf8)
        let r = try CommandRunner.run([
            BuiltProducts.sample("eurusd_1h_d1.csv"), "--columns", "CLOSE", "--max-steps", "1200",
            "--load-config", dir.file("c.json"), "--initial-size", "4", "--encoder-param", "learning_rate=0.002",
            "--output-file", dir.file("f.csv"), "--save-log", dir.file("log.json"), "--save-config", dir.file("saved.json"),
        ])
        XCTAssertEqual(r.status, 0, r.stderr)
        let l = try log()
        let config = try XCTUnwrap(l["configuration"] as? [String: Any])
        XCTAssertEqual(config["window_size"] as? Int, 24, "from the file")
        XCTAssertEqual(config["initial_size"] as? Int, 4, "the command line wins")
        XCTAssertEqual(config["batch_size"] as? Int, 128, "the default")
        let encoder = try XCTUnwrap((l["encoder"] as? [String: Any])?["parameters"] as? [String: Any])
        XCTAssertEqual(encoder["activation"] as? String, "relu", "file and command line merge within a namespace")
        XCTAssertEqual(encoder["learning_rate"] as? Double, 0.002)
        // The saved configuration reproduces the run when loaded.
        let r2 = try CommandRunner.run(["--load-config", dir.file("saved.json"), "--output-file", dir.file("f2.csv")])
        XCTAssertEqual(r2.status, 0, r2.stderr)
        XCTAssertEqual(
            try String(contentsOfFile: dir.file("f2.csv"), encoding: .utf8),
            try String(contentsOfFile: dir.file("f.csv"), encoding: .utf8))
    }

    func testMalformedPluginParameterIsAUsageError() throws {
        let r = try CommandRunner.run([BuiltProducts.sample("eurusd_1h_d1.csv"), "--encoder-param", "no-equals-sign"])
        XCTAssertEqual(r.status, 64)
        XCTAssertTrue(r.stderr.contains("--encoder-param"), r.stderr)
    }

    func testHelpTeachesTheOptions() throws {
        let r = try CommandRunner.run(["run", "--help"])
        XCTAssertEqual(r.status, 0)
        for option in ["--window-size", "--encoder-param", "--load-config", "--evaluate-decoder", "--seed"] {
            XCTAssertTrue(r.stdout.contains(option), option)
        }
    }
}

/// The sandbox as the operator meets it on the command line.
final class CLISandboxTests: XCTestCase {
    func testDoctorReportsMechanismsAndThatThePolicyIsMet() throws {
        let r = try CommandRunner.run(["doctor"])
        XCTAssertEqual(r.status, 0, r.stdout + r.stderr)
        for line in ["seccomp", "landlock", "user namespace", "net namespace", "policy can be met"] {
            XCTAssertTrue(r.stdout.contains(line), line)
        }
    }

    func testMissingPolicyStopsTheRunInsteadOfRunningUnconfined() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let r = try CommandRunner.run([
            BuiltProducts.sample("eurusd_1h_d1.csv"), "--sandbox-policy", dir.file("nowhere"),
            "--output-file", dir.file("f.csv"),
        ])
        XCTAssertEqual(r.status, 69)
        XCTAssertTrue(r.stderr.contains("sandbox policy") && r.stderr.contains("cannot be read"), r.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir.file("f.csv")))
    }

    func testNoSandboxIsLoud() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let r = try CommandRunner.run([
            BuiltProducts.sample("eurusd_1h_d1.csv"), "--columns", "CLOSE", "--max-steps", "1000",
            "--window-size", "16", "--initial-size", "2", "--epochs", "1", "--no-sandbox",
            "--output-file", dir.file("f.csv"), "--quiet-mode",
        ])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stderr.contains("WITHOUT the sandbox"), r.stderr)
    }

    func testUnknownWeakerMechanismIsAUsageError() throws {
        let r = try CommandRunner.run([BuiltProducts.sample("eurusd_1h_d1.csv"), "--allow-weaker-sandbox", "seccomp"])
        XCTAssertEqual(r.status, 64)
        XCTAssertTrue(r.stderr.contains("allow_weaker_sandbox"), r.stderr)
    }
}
