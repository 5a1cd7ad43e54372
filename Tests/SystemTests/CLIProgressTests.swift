import Foundation
import TestSupport
import XCTest

/// Progress of a long job: one line per epoch wherever stderr goes, a line redrawn in place on a
/// terminal, and a `2>&1` log in the order things happened.
final class CLIProgressTests: XCTestCase {
    private var dir: TemporaryDirectory!

    override func setUpWithError() throws { dir = try TemporaryDirectory() }
    override func tearDown() { dir.remove() }

    private func small(_ extra: [String]) -> [String] {
        [
            BuiltProducts.sample("eurusd_1h_d1.csv"), "--columns", "CLOSE", "--max-steps", "1500", "--window-size", "32",
            "--initial-size", "4", "--epochs", "3", "--early-stopping-patience", "0", "--output-file", dir.file("f.csv"),
        ] + extra
    }

    func testOnAPipeEachEpochIsOneLineOnStderrAndQuietModeHasNone() throws {
        let r = try CommandRunner.run(small([]))
        XCTAssertEqual(r.status, 0, r.stderr)
        for epoch in 1...3 {
            let lines = r.stderr.split(separator: "\n").filter { $0.contains("epoch \(epoch)/3") }
            XCTAssertEqual(lines.count, 1, r.stderr)
            XCTAssertTrue(lines.first?.contains("loss ") == true && lines.first?.contains("left") == true, r.stderr)
        }
        XCTAssertFalse(r.stdout.contains("epoch 1/3"), "progress is on stderr: stdout keeps results")
        XCTAssertFalse(r.stderr.contains("\r"), "nothing is redrawn in place on a pipe")
        XCTAssertFalse(r.stderr.contains("batch "), r.stderr)

        let quiet = try CommandRunner.run(small(["--quiet-mode"]))
        XCTAssertEqual(quiet.status, 0, quiet.stderr)
        XCTAssertFalse(quiet.stderr.contains("epoch"), quiet.stderr)
    }

    func testOnATerminalTheBatchLineIsRedrawnInPlaceWithAnETA() throws {
        let script = "/usr/bin/script"
        guard FileManager.default.isExecutableFile(atPath: script) else { throw XCTSkip("script(1) (bsdutils) is not installed") }
        let command = ([BuiltProducts.executable("feature-extractor")] + small(["--batch-size", "16"]))
            .map { "'\($0)'" }.joined(separator: " ")
        let env =
            "FEATURE_EXTRACTOR_HOME='\(TestPlugins.home)' FEATURE_EXTRACTOR_PLUGINS='\(TestPlugins.directory)' "
            + "FEATURE_EXTRACTOR_POLICY='\(BuiltProducts.repositoryRoot.appendingPathComponent("Policies").path)' "
        let p = Process()
        p.executableURL = URL(fileURLWithPath: script)
        p.arguments = ["-qec", env + command, "/dev/null"]
        let out = Pipe()
        p.standardOutput = out
        p.standardInput = FileHandle.nullDevice
        try p.run()
        let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        XCTAssertEqual(p.terminationStatus, 0, text)
        // The last batch of every epoch is always drawn, then replaced by the epoch's line.
        for epoch in 1...3 {
            XCTAssertTrue(text.contains("epoch \(epoch)/3  batch "), text)
            XCTAssertTrue(text.contains("\r\u{1B}[Kinterface 4  epoch \(epoch)/3  loss "), "the epoch line replaces it: \(text)")
        }
        XCTAssertTrue(text.contains("win/s  ETA "), text)
    }

    func testATwoToOneLogShowsProgressBeforeALaterError() throws {
        // The plugin crashes in the second epoch (about 10 batches an epoch here).
        let r = try CommandRunner.run(
            small(["--encoder-plugin", "crash-mid-training", "--encoder-param", "crash_after=15"]), combined: true)
        XCTAssertEqual(r.status, 69, r.stdout)
        let log = r.stdout
        let read = try XCTUnwrap(log.range(of: "read 1500 rows"), log).lowerBound
        let epoch = try XCTUnwrap(log.range(of: "epoch 1/3"), log).lowerBound
        let error = try XCTUnwrap(log.range(of: "feature-extractor: error:"), log).lowerBound
        XCTAssertLessThan(read, epoch, log)
        XCTAssertLessThan(epoch, error, log)
        XCTAssertFalse(log.contains("epoch 2/3"), log)
    }
}
