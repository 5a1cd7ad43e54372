import Foundation
import TestSupport
import XCTest

/// What scripts rely on: `--json` on every command that prints results (keys in docs/JSON.md),
/// `--version`, and the shell completions.
final class CLIScriptingTests: XCTestCase {
    private var dir: TemporaryDirectory!

    override func setUpWithError() throws { dir = try TemporaryDirectory() }
    override func tearDown() { dir.remove() }

    private func json(_ r: CommandResult, file: StaticString = #filePath, line: UInt = #line) throws -> Any {
        XCTAssertEqual(r.status, 0, r.stderr, file: file, line: line)
        return try JSONSerialization.jsonObject(with: Data(r.stdout.utf8))
    }

    func testRunPrintsItsSummaryAsOneJSONObjectAndMessagesOnStderr() throws {
        let r = try CommandRunner.run([
            BuiltProducts.sample("eurusd_1h_d1.csv"), "--columns", "CLOSE", "--max-steps", "1200", "--window-size", "16",
            "--initial-size", "4", "--epochs", "2", "--output-file", dir.file("f.csv"), "--json",
        ])
        let summary = try XCTUnwrap(try json(r) as? [String: Any], r.stdout)
        XCTAssertEqual(summary["interface_size"] as? Int, 4)
        XCTAssertEqual(summary["outputs"] as? [String], [dir.file("f.csv")])
        XCTAssertEqual((summary["training"] as? [[String: Any]])?.first?["epochs"].map { ($0 as? [Any])?.count }, 2)
        let metrics = try XCTUnwrap((summary["metrics"] as? [[String: Any]])?.first)
        for key in ["column", "window_mse", "baseline_window_mean_mse", "baseline_pca_mse", "pca_ratio", "mse", "mae"] {
            XCTAssertNotNil(metrics[key], key)
        }
        for key in ["started_at", "execution_seconds", "configuration", "encoder", "decoder", "windows", "rows", "bytes"] {
            XCTAssertNotNil(summary[key], key)
        }
        XCTAssertTrue(r.stderr.contains("read 1200 rows"), "messages go to stderr: \(r.stderr)")

        let conflict = try CommandRunner.run([BuiltProducts.sample("eurusd_1h_d1.csv"), "--output-file", "-", "--json"])
        XCTAssertEqual(conflict.status, 64, conflict.stderr)
        XCTAssertTrue(conflict.stderr.contains("--json"), conflict.stderr)
    }

    func testPluginListShowsVersionSignerTrustAndDirectoryAlsoAsJSON() throws {
        let listed = try XCTUnwrap(try json(try CommandRunner.run(["plugin", "list", "--json"])) as? [[String: Any]])
        let ann = try XCTUnwrap(listed.first { $0["role"] as? String == "encoder" && $0["name"] as? String == "ann" })
        XCTAssertEqual(ann["trust"] as? String, "trusted")
        XCTAssertEqual(ann["signer"] as? String, try Self.testKeyID())
        XCTAssertEqual(ann["directory"] as? String, TestPlugins.directory + "/encoders/ann")
        XCTAssertNotNil(ann["version"] as? String)

        let text = try CommandRunner.run(["plugin", "list"])
        XCTAssertEqual(text.status, 0, text.stderr)
        let line = try XCTUnwrap(text.stdout.split(separator: "\n").first { $0.hasPrefix("encoder\tann\t") }, text.stdout)
        XCTAssertTrue(line.contains("trusted") && line.contains(TestPlugins.directory + "/encoders/ann"), String(line))

        // An unsigned copy in a directory searched first is refused, with why; the one it hides is "shadowed".
        try FileManager.default.createDirectory(atPath: dir.file("p/encoders"), withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: TestPlugins.directory + "/encoders/ann", toPath: dir.file("p/encoders/ann"))
        try FileManager.default.removeItem(atPath: dir.file("p/encoders/ann/plugin.json.sig"))
        let withRefused = try XCTUnwrap(
            try json(try CommandRunner.run(["plugin", "list", "--json", "--plugins-dir", dir.file("p")])) as? [[String: Any]])
        let anns = withRefused.filter { $0["role"] as? String == "encoder" && $0["name"] as? String == "ann" }
        XCTAssertEqual(anns.map { $0["trust"] as? String }, ["refused", "shadowed"], "\(anns)")
        XCTAssertTrue((anns.first?["problem"] as? String)?.contains("not signed") == true, "\(anns)")
        XCTAssertNil(anns.first?["signer"] as? String)
    }

    func testPluginInfoCheckKeysDoctorAndPolicyPrintJSON() throws {
        let info = try XCTUnwrap(
            try json(try CommandRunner.run(["plugin", "info", "encoder", "ann", "--json"])) as? [String: Any])
        XCTAssertEqual(info["name"] as? String, "ann")
        XCTAssertEqual((info["protocol"] as? [String: Any])?["min"] as? Int, 1)
        let activation = try XCTUnwrap((info["parameters"] as? [String: Any])?["activation"] as? [String: Any])
        XCTAssertEqual(activation["type"] as? String, "string")

        let check = try XCTUnwrap(
            try json(try CommandRunner.run(["plugin", "check", TestPlugins.directory + "/decoders/pca", "--json"]))
                as? [String: Any])
        XCTAssertEqual(check["passed"] as? Bool, true)
        let items = try XCTUnwrap(check["items"] as? [[String: Any]])
        XCTAssertEqual(items.first?["name"] as? String, "package")
        XCTAssertTrue(items.contains { $0["name"] as? String == "handshake" && $0["passed"] as? Bool == true })

        let keys = try XCTUnwrap(try json(try CommandRunner.run(["keys", "list", "--json"])) as? [[String: Any]])
        let key = try XCTUnwrap(keys.first { $0["id"] as? String == (try? Self.testKeyID()) })
        XCTAssertEqual(key["revoked"] as? Bool, false)
        XCTAssertNotNil(key["added_at"] as? String)

        let doctorRun = try CommandRunner.run(["doctor", "--json"])
        let doctor = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(doctorRun.stdout.utf8)) as? [String: Any])
        let policyFile = BuiltProducts.repositoryRoot.appendingPathComponent("Policies/sandbox-policy.json").path
        XCTAssertEqual(doctor["policy_file"] as? String, policyFile)
        XCTAssertEqual(doctorRun.status, doctor["met"] as? Bool == true ? 0 : 69, "the exit code is the verdict")
        XCTAssertEqual((doctor["interpreters"] as? [Any])?.count, 0)

        let policy = try XCTUnwrap(try json(try CommandRunner.run(["policy", "show", "--json"])) as? [String: Any])
        XCTAssertEqual(policy["policy_file"] as? String, policyFile)
        XCTAssertEqual(Set(policy["require"] as? [String] ?? []), ["landlock", "network_namespace", "user_namespace"])
        XCTAssertEqual((policy["limits"] as? [String: Any])?["open_files"] as? Int, 64)
        XCTAssertTrue((policy["syscalls"] as? [String])?.contains("read") == true)
    }

    func testMeasuringAndMigratingCommandsPrintJSON() throws {
        let startup = try XCTUnwrap(
            try json(try CommandRunner.run(["plugin", "startup-time", "encoder", "ann", "--repeat", "3", "--json"]))
                as? [String: Any])
        XCTAssertEqual(startup["starts"] as? Int, 3)
        let (low, median, high) = try (
            XCTUnwrap(startup["min_ms"] as? Double), XCTUnwrap(startup["median_ms"] as? Double),
            XCTUnwrap(startup["max_ms"] as? Double)
        )
        XCTAssertTrue(0 < low && low <= median && median <= high, "\(startup)")
        XCTAssertNotNil(startup["sandboxed"] as? Bool)

        let throughput = try XCTUnwrap(
            try json(
                try CommandRunner.run([
                    "plugin", "throughput", "encoder", "ann", "--window", "16", "--interface", "4", "--batch", "64",
                    "--windows", "256", "--repeat", "1", "--processes", "2", "--json",
                ])) as? [String: Any])
        XCTAssertGreaterThan(try XCTUnwrap(throughput["windows_per_second"] as? Double), 0)
        XCTAssertEqual(throughput["windows"] as? Int, 256)
        XCTAssertEqual(throughput["processes"] as? Int, 2)
        XCTAssertEqual(throughput["inputs"] as? Int, 16)
        XCTAssertEqual(throughput["outputs"] as? Int, 4)
        XCTAssertGreaterThan(try XCTUnwrap(throughput["parameter_count"] as? Int), 0)
        XCTAssertEqual(throughput["overlapping_rows"] as? Bool, true, "a bundled encoder reads a series' windows as the series")
        let dense = try XCTUnwrap(
            try json(
                try CommandRunner.run([
                    "plugin", "throughput", "encoder", "ann", "--window", "16", "--interface", "4", "--batch", "64",
                    "--windows", "64", "--repeat", "1", "--dense", "--json",
                ])) as? [String: Any])
        XCTAssertEqual(dense["overlapping_rows"] as? Bool, false)

        let original = BuiltProducts.repositoryRoot.appendingPathComponent(
            "Tests/Fixtures/OriginalConfigs/phase_3_2_cnn_1h_config.json"
        ).path
        let migrated = try XCTUnwrap(
            try json(try CommandRunner.run(["config", "migrate", original, dir.file("cnn.json"), "--json"])) as? [String: Any])
        XCTAssertEqual(migrated["output"] as? String, dir.file("cnn.json"))
        let written = try XCTUnwrap(
            try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: dir.file("cnn.json")))) as? [String: Any]
        )
        XCTAssertEqual(migrated["keys"] as? Int, written.count, "the count is of the keys written")
        let renamed = try XCTUnwrap(migrated["renamed"] as? [[String: String]])
        XCTAssertTrue(renamed.contains(["from": "early_patience", "to": "early_stopping_patience"]), "\(renamed)")
        XCTAssertTrue((migrated["moved_to_plugin_parameters"] as? [String])?.contains("activation") == true)
        let dropped = try XCTUnwrap(migrated["dropped"] as? [[String: Any]])
        XCTAssertTrue(dropped.contains { ($0["keys"] as? [String])?.contains("use_stl") == true }, "\(dropped)")
    }

    func testVersionNamesToolProtocolAndTheRunningBuildsDigest() throws {
        let r = try CommandRunner.run(["--version"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let lines = r.stdout.split(separator: "\n").map(String.init)
        XCTAssertEqual(lines.count, 3, r.stdout)
        XCTAssertTrue(lines[0].hasPrefix("feature-extractor "), r.stdout)
        XCTAssertTrue(lines[1].hasPrefix("plugin protocol 1 "), r.stdout)
        let sum = Process()
        sum.executableURL = URL(fileURLWithPath: "/usr/bin/sha256sum")
        sum.arguments = [BuiltProducts.executable("feature-extractor")]
        let out = Pipe()
        sum.standardOutput = out
        try sum.run()
        let digest = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self).prefix(12)
        sum.waitUntilExit()
        XCTAssertTrue(lines[2].hasPrefix("build \(digest) "), "\(lines[2]) vs \(digest)")
    }

    func testCompletionScriptsNameTheCommandsAndTheSetUpInstallsThemUserLocally() throws {
        for shell in ["bash", "zsh", "fish"] {
            let r = try CommandRunner.run(["--generate-completion-script", shell])
            XCTAssertEqual(r.status, 0, r.stderr)
            XCTAssertTrue(r.stdout.contains("allow-interpreter") && r.stdout.contains("doctor"), shell)
        }
        // The set-up's installer, into a home of its own: no root needed.
        let script = BuiltProducts.repositoryRoot.appendingPathComponent("scripts/lib/common.sh").path
        let bin = (BuiltProducts.executable("feature-extractor") as NSString).deletingLastPathComponent
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/bash")
        p.arguments = ["-c", "source '\(script)' && install_shell_completions '\(bin)'"]
        p.environment = ["HOME": dir.path, "PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"]
        try p.run()
        p.waitUntilExit()
        XCTAssertEqual(p.terminationStatus, 0)
        for file in [
            ".local/share/bash-completion/completions/feature-extractor", ".local/share/zsh/site-functions/_feature-extractor",
            ".config/fish/completions/feature-extractor.fish",
        ] {
            let text = (try? String(contentsOfFile: dir.file(file), encoding: .utf8)) ?? ""
            XCTAssertTrue(text.contains("feature-extractor"), "\(file) installed")
        }
    }

    /// The test home's signing key id (the signer of every test plugin).
    static func testKeyID() throws -> String {
        let pub = try String(contentsOfFile: TestPlugins.home + "/keys/local.key.pub", encoding: .utf8)
        let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(pub.utf8)) as? [String: Any])
        return try XCTUnwrap(object["id"] as? String)
    }
}
