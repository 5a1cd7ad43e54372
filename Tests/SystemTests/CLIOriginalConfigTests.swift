import Foundation
import TestSupport
import XCTest

/// The Python original's config files and options through the real CLI, and the warnings that
/// replace its silent surprises.
final class CLIOriginalConfigTests: XCTestCase {
    private var dir: TemporaryDirectory!

    override func setUpWithError() throws { dir = try TemporaryDirectory() }
    override func tearDown() { dir.remove() }

    private func fixture(_ name: String) -> String {
        BuiltProducts.repositoryRoot.appendingPathComponent("Tests/Fixtures/OriginalConfigs/\(name)").path
    }

    /// The sample data, a short run, and every output the original configs name redirected here.
    private func overrides(epochs: Int, encoder: String = "enc.safetensors") -> [String] {
        [
            "--input_file", BuiltProducts.sample("eurusd_1h_d1.csv"), "--columns", "CLOSE", "--max_steps_train", "1500",
            "--epochs", String(epochs), "--output_file", dir.file("features.csv"), "--save_encoder", dir.file(encoder),
            "--save_decoder", dir.file("dec.safetensors"), "--evaluate_encoder", dir.file("ee.csv"),
            "--evaluate_decoder", dir.file("ed.csv"), "--save_log", dir.file("log.json"), "--save_config", dir.file("out.json"),
            "--loss_plot_file", dir.file("loss.svg"),
        ]
    }

    private func log() throws -> [String: Any] {
        try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: dir.file("log.json")))) as! [String: Any]
    }

    private func warnings(_ r: CommandResult) -> [String] {
        r.stderr.split(separator: "\n").filter { $0.hasPrefix("feature-extractor: warning:") }.map(String.init)
    }

    func testAnOriginalConfigRunsItsKnobsReachThePluginsAndOneWarningNamesTheRest() throws {
        let config = fixture("phase_3_2_ann_1h_config.json")
        let r = try CommandRunner.run(
            ["--load_config", config, "--early_patience", "3"] + overrides(epochs: 1, encoder: "enc.h5"))
        XCTAssertEqual(r.status, 0, r.stderr)
        let keyWarnings = warnings(r).filter { $0.contains("have no effect") }
        XCTAssertEqual(keyWarnings.count, 1, r.stderr)
        for key in ["model_plot_file", "x_train_file", "use_sliding_window", "preprocessor_plugin", "mmd_lambda"] {
            XCTAssertTrue(r.stderr.contains(key), "\(key) in \(r.stderr)")
        }
        XCTAssertTrue(r.stderr.contains("early_patience -> early_stopping_patience"), r.stderr)
        XCTAssertTrue(r.stderr.contains("loss_plot_file -> loss_plot"), "the original's loss plot is drawn: \(r.stderr)")
        XCTAssertTrue(FileManager.default.fileExists(atPath: dir.file("loss.svg")))
        XCTAssertTrue(r.stderr.contains("written as signed safetensors"), "a Keras name is warned about: \(r.stderr)")
        XCTAssertFalse(r.stderr.contains("declared by neither"), r.stderr)
        let l = try log()
        let effective = try XCTUnwrap(l["configuration"] as? [String: Any])
        XCTAssertEqual(effective["window_size"] as? Int, 144, "from the original's file")
        XCTAssertEqual(effective["max_steps"] as? Int, 1500, "--max_steps_train is --max-steps")
        XCTAssertEqual(effective["early_stopping_patience"] as? Int, 3, "--early_patience is --early-stopping-patience")
        for role in ["encoder", "decoder"] {
            let parameters = try XCTUnwrap((l[role] as? [String: Any])?["parameters"] as? [String: Any], role)
            XCTAssertEqual(parameters["intermediate_layers"] as? Int, 2, "\(role): a top-level knob reaches the plugin")
            XCTAssertEqual(parameters["initial_layer_size"] as? Int, 48, role)
            XCTAssertEqual(parameters["l2_reg"] as? Double, 1e-5, role)
        }
        XCTAssertTrue(FileManager.default.fileExists(atPath: dir.file("ee.csv")))
    }

    func testMigrateWritesAConfigThatLoadsWithoutWarningsToTheSameRun() throws {
        let original = fixture("phase_3_2_cnn_1h_config.json")
        let m = try CommandRunner.run(["config", "migrate", original, dir.file("migrated.json")])
        XCTAssertEqual(m.status, 0, m.stderr)
        XCTAssertTrue(m.stdout.contains("renamed early_patience -> early_stopping_patience"), m.stdout)
        XCTAssertTrue(m.stdout.contains("moved to plugin_parameters:") && m.stdout.contains("dropped, plots"), m.stdout)
        let migrated = try XCTUnwrap(
            try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: dir.file("migrated.json"))))
                as? [String: Any])
        XCTAssertNil(migrated["x_train_file"])
        XCTAssertEqual(migrated["early_stopping_patience"] as? Int, 40)
        XCTAssertEqual((migrated["plugin_parameters"] as? [String: Any])?["activation"] as? String, "tanh")

        let a = try CommandRunner.run(["--load-config", original] + overrides(epochs: 0))
        XCTAssertEqual(a.status, 0, a.stderr)
        let fromOriginal = try XCTUnwrap(try log()["configuration"] as? NSDictionary)
        let b = try CommandRunner.run(["--load-config", dir.file("migrated.json")] + overrides(epochs: 0))
        XCTAssertEqual(b.status, 0, b.stderr)
        XCTAssertEqual(warnings(b), [], b.stderr)
        XCTAssertFalse(b.stderr.contains("note:"), b.stderr)
        XCTAssertEqual(
            try XCTUnwrap(try log()["configuration"] as? NSDictionary), fromOriginal, "the same effective configuration")
    }

    func testMigrateRefusesAMisspeltKeyAndWritesNothing() throws {
        try #"{"window_size": 32, "batch_sise": 3}"#.write(toFile: dir.file("c.json"), atomically: true, encoding: .utf8)
        let r = try CommandRunner.run(["config", "migrate", dir.file("c.json"), dir.file("out.json")])
        XCTAssertEqual(r.status, 64)
        XCTAssertTrue(r.stderr.contains("'batch_sise': did you mean 'batch_size'?"), r.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir.file("out.json")))
    }

    private func small(_ extra: [String]) -> [String] {
        [
            BuiltProducts.sample("eurusd_1h_d1.csv"), "--columns", "CLOSE", "--max-steps", "1200", "--window-size", "32",
            "--initial-size", "4", "--epochs", "0", "--output-file", dir.file("features.csv"),
        ] + extra
    }

    func testSearchOptionsWithoutAThresholdAndASearchThatMissesAreWarned() throws {
        let r = try CommandRunner.run(small(["--incremental_search", "--step-size", "4"]))
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stderr.contains("incremental_search, step_size: no effect without threshold_error"), r.stderr)
        let missed = try CommandRunner.run(small(["--threshold-error", "1e-30", "--no-incremental-search"]))
        XCTAssertEqual(missed.status, 0, missed.stderr)
        XCTAssertTrue(missed.stderr.contains("no size met threshold_error"), missed.stderr)
    }

    func testTrainingOptionsWithALoadedEncoderAreWarned() throws {
        XCTAssertEqual(try CommandRunner.run(small(["--save-encoder", dir.file("enc.safetensors")])).status, 0)
        let r = try CommandRunner.run(
            small(["--load-encoder", dir.file("enc.safetensors"), "--epochs", "7", "--output-file", dir.file("f2.csv")]))
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stderr.contains("epochs") && r.stderr.contains("ignored, because load_encoder"), r.stderr)
    }

    func testKerasModelFilesAreNamedAsUnsupported() throws {
        for (name, magic) in [
            ("enc.h5", [0x89, 0x48, 0x44, 0x46, 0x0D, 0x0A, 0x1A, 0x0A]), ("enc.keras", [0x50, 0x4B, 0x03, 0x04]),
        ] {
            try Data(magic.map(UInt8.init) + [UInt8](repeating: 0, count: 64)).write(to: URL(fileURLWithPath: dir.file(name)))
            let r = try CommandRunner.run(small(["--load-encoder", dir.file(name)]))
            XCTAssertEqual(r.status, 65, r.stderr)
            XCTAssertTrue(r.stderr.contains("\(name): format not supported (Keras .h5/.keras files are not read"), r.stderr)
            XCTAssertFalse(r.stderr.contains("signature"), r.stderr)
        }
    }

    func testTheOriginalsDefaultPluginNameIsOursAndAnUnknownNameListsWhatExists() throws {
        let r = try CommandRunner.run(small(["--encoder_plugin", "default"]))
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stderr.contains("encoder_plugin 'default' is the original's default plugin: 'ann' is used"), r.stderr)
        let missing = try CommandRunner.run(small(["--decoder-plugin", "vae_small"]))
        XCTAssertEqual(missing.status, 69)
        XCTAssertTrue(
            missing.stderr.contains("'vae_small' not found (installed: ") && missing.stderr.contains("ann"), missing.stderr)
    }
}
