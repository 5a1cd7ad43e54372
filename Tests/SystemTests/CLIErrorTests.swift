import Foundation
import TestSupport
import XCTest

/// Bad input and failing plugins: clear messages, documented exit codes, nothing half-written.
final class CLIErrorTests: XCTestCase {
    private var dir: TemporaryDirectory!

    override func setUpWithError() throws { dir = try TemporaryDirectory() }
    override func tearDown() { dir.remove() }

    private func small(_ extra: [String]) -> [String] {
        [
            BuiltProducts.sample("eurusd_1h_d1.csv"), "--columns", "CLOSE", "--max-steps", "1500", "--window-size", "32",
            "--initial-size", "4", "--epochs", "1", "--output-file", dir.file("features.csv"),
        ] + extra
    }

    func testPluginCrashMidTrainingExitsWithPluginCodeAndLeavesNoFiles() throws {
        let r = try CommandRunner.run(
            small([
                "--encoder-plugin", "crash-mid-training", "--save-encoder", dir.file("enc.safetensors"),
                "--save-log", dir.file("log.json"), "--evaluate-decoder", dir.file("rec.csv"),
            ]))
        XCTAssertEqual(r.status, 69)
        XCTAssertTrue(r.stderr.contains("crash-mid-training") && r.stderr.contains("SIGABRT"), r.stderr)
        XCTAssertEqual(dir.contents(), [], "no output file, final or staged, after a failed run")
    }

    /// Keys of a config file (a remote one too) and a CSV's values reach warnings and errors:
    /// escape sequences in them are shown, never sent to the terminal.
    func testTerminalEscapesInConfigKeysAndDataAreShownEscaped() throws {
        let key = "\u{1B}]0;owned\u{07}\u{1B}[2J"
        let config = "{\"\(key.unicodeScalars.map { String(format: "\\u%04x", $0.value) }.joined())\": 1}"
        try config.write(toFile: dir.file("c.json"), atomically: true, encoding: .utf8)
        try "DATE_TIME,CLOSE\n2020-01-01,1.0\n2020-01-02,\u{1B}[31m\n".write(
            toFile: dir.file("bad.csv"), atomically: true, encoding: .utf8)
        let r = try CommandRunner.run([
            dir.file("bad.csv"), "--load-config", dir.file("c.json"), "--output-file", dir.file("f.csv"),
        ])
        XCTAssertEqual(r.status, 65, r.stderr)
        XCTAssertTrue(r.stderr.contains("]0;owned"), "the key is named in the warning: \(r.stderr)")
        XCTAssertFalse(r.stderr.unicodeScalars.contains { $0.value == 0x1B || $0.value == 0x07 }, r.stderr)
        XCTAssertTrue(r.stderr.contains(#"\u{1b}"#), r.stderr)
    }

    /// A model to save needs the machine's signing key: its absence fails before any training,
    /// naming the key's path and the command that creates it.
    func testAMissingSigningKeyFailsBeforeTrainingNamingTheKeyAndTheCommand() throws {
        let home = dir.file("home")
        let r = try CommandRunner.run(
            small([
                "--epochs", "3", "--save-encoder", dir.file("enc.safetensors"), "--save-log", dir.file("log.json"),
                "--db", TestPlugins.home + "/feature-extractor.sqlite",
            ]), environment: ["FEATURE_EXTRACTOR_HOME": home])
        XCTAssertEqual(r.status, 64, r.stderr)
        XCTAssertTrue(r.stderr.contains("key \(home)/keys/local.key is missing"), r.stderr)
        XCTAssertTrue(r.stderr.contains("feature-extractor keys generate"), r.stderr)
        XCTAssertFalse(r.stderr.contains("epoch 1/") || r.stdout.contains("read 1500 rows"), "nothing was read or trained")
        XCTAssertEqual(dir.contents().filter { $0 != "home" }, [], "no output")
    }

    /// A plugin that never answers is stopped by the run's own bound long before the 120 s call
    /// limit, and the run fails naming the bound.
    func testTheRunTimeLimitStopsAHangingPlugin() throws {
        let clock = Date()
        let r = try CommandRunner.run(small(["--encoder-plugin", "hang-on-forward", "--max-run-time", "3"]))
        XCTAssertEqual(r.status, 69, r.stderr)
        XCTAssertTrue(r.stderr.contains("time limit of 3.0 s (--max-run-time)"), r.stderr)
        XCTAssertLessThan(Date().timeIntervalSince(clock), 60)
        XCTAssertEqual(dir.contents(), [])
        let refused = try CommandRunner.run(small(["--max-run-time", "-1"]))
        XCTAssertEqual(refused.status, 64, refused.stderr)
    }

    /// A hard `ulimit -v` below the policy's 8 GiB used to stop every plugin launch (the launcher
    /// cannot raise a hard limit); now the plugins get the inherited limit, and the run says so.
    func testAnInheritedMemoryLimitBelowThePolicysIsHonouredAndSaid() throws {
        let r = try CommandRunner.run(small([]), wrapper: ["/bin/sh", "-c", #"ulimit -v 6000000 && exec "$0" "$@""#])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(
            r.stderr.contains("address-space limit of 5.7 GiB, the hard limit this process inherited (ulimit -Hv)"), r.stderr)
        XCTAssertEqual(r.stderr.components(separatedBy: "ulimit -Hv").count, 2, "said once, not once per plugin: \(r.stderr)")

        let lowered = ["/bin/sh", "-c", #"ulimit -v 6000000 && exec "$0" "$@""#]
        let shown = try CommandRunner.run(["policy", "show"], wrapper: lowered)
        XCTAssertTrue(shown.stdout.contains("on this host    plugins run with an address-space limit of 5.7 GiB"), shown.stdout)
        let json = try CommandRunner.run(["policy", "show", "--json"], wrapper: lowered)
        let view = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any]
        let host = view?["host_limits"] as? [String: Any]
        XCTAssertEqual(host?["address_space_bytes"] as? Int, 6_000_000 * 1024, json.stdout)
    }

    func testRaggedCSVNamesFileLineAndExitsWithDataCode() throws {
        try "DATE_TIME,CLOSE\n2020-01-01,1.0\n2020-01-02,1.1,9\n".write(
            toFile: dir.file("bad.csv"), atomically: true, encoding: .utf8)
        let r = try CommandRunner.run([dir.file("bad.csv"), "--output-file", dir.file("features.csv")])
        XCTAssertEqual(r.status, 65)
        XCTAssertTrue(r.stderr.contains("bad.csv:3"), r.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir.file("features.csv")))
    }

    func testNonNumericValueNamesTheField() throws {
        try "DATE_TIME,OPEN,CLOSE\n2020-01-01,1.0,1.0\n2020-01-02,1.1,abc\n".write(
            toFile: dir.file("bad.csv"), atomically: true, encoding: .utf8)
        let r = try CommandRunner.run([dir.file("bad.csv"), "--columns", "CLOSE", "--output-file", dir.file("features.csv")])
        XCTAssertEqual(r.status, 65)
        XCTAssertTrue(r.stderr.contains("bad.csv:3") && r.stderr.contains("CLOSE"), r.stderr)
    }

    func testFewerRowsThanTheWindowIsRefused() throws {
        let r = try CommandRunner.run(small(["--max-steps", "40", "--window-size", "64"]))
        XCTAssertEqual(r.status, 64, "max_steps below the window is a configuration error: \(r.stderr)")
        try "v\n1\n2\n3\n".write(toFile: dir.file("short.csv"), atomically: true, encoding: .utf8)
        let r2 = try CommandRunner.run([
            dir.file("short.csv"), "--window-size", "8", "--initial-size", "2", "--output-file", dir.file("f.csv"),
        ])
        XCTAssertEqual(r2.status, 65)
        XCTAssertTrue(r2.stderr.contains("short.csv") && r2.stderr.contains("window"), r2.stderr)
    }

    func testUnknownConfigKeyIsAUsageErrorNamingFileAndKey() throws {
        try #"{"window_size": 32, "epoch": 3}"#.write(toFile: dir.file("c.json"), atomically: true, encoding: .utf8)
        let r = try CommandRunner.run(small(["--load-config", dir.file("c.json")]))
        XCTAssertEqual(r.status, 64)
        XCTAssertTrue(r.stderr.contains("c.json") && r.stderr.contains("'epoch'"), r.stderr)
    }

    func testUnknownPluginAndPathLikeNamesAreRefused() throws {
        let r = try CommandRunner.run(small(["--encoder-plugin", "nope"]))
        XCTAssertEqual(r.status, 69)
        XCTAssertTrue(r.stderr.contains("'nope' not found"), r.stderr)
        let r2 = try CommandRunner.run(small(["--encoder-plugin", "../../bin/sh"]))
        XCTAssertEqual(r2.status, 64)
        XCTAssertTrue(r2.stderr.contains("not a plugin name"), r2.stderr)
    }

    func testModelOfTheWrongRoleIsRefusedClearly() throws {
        let r = try CommandRunner.run(small(["--save-decoder", dir.file("dec.safetensors")]))
        XCTAssertEqual(r.status, 0, r.stderr)
        let r2 = try CommandRunner.run(
            small(["--load-encoder", dir.file("dec.safetensors"), "--output-file", dir.file("f2.csv")]))
        XCTAssertEqual(r2.status, 65)
        XCTAssertTrue(r2.stderr.contains("dec.safetensors") && r2.stderr.contains("saved decoder"), r2.stderr)
    }

    func testTruncatedModelFileIsRefused() throws {
        XCTAssertEqual(try CommandRunner.run(small(["--save-encoder", dir.file("enc.safetensors")])).status, 0)
        let data = try Data(contentsOf: URL(fileURLWithPath: dir.file("enc.safetensors")))
        try data.prefix(data.count - 10).write(to: URL(fileURLWithPath: dir.file("enc.safetensors")))
        let r = try CommandRunner.run(
            small(["--load-encoder", dir.file("enc.safetensors"), "--output-file", dir.file("f2.csv")]))
        XCTAssertEqual(r.status, 65)
        XCTAssertTrue(r.stderr.contains("enc.safetensors"), r.stderr)
    }
}
