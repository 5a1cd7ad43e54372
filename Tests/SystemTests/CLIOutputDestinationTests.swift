import Foundation
import TestSupport
import XCTest

/// Where outputs may go: `-` is standard output for text outputs, special files are written in
/// place, symbolic links are written through, models refuse anything but a file.
final class CLIOutputDestinationTests: XCTestCase {
    private var dir: TemporaryDirectory!

    override func setUpWithError() throws { dir = try TemporaryDirectory() }
    override func tearDown() { dir.remove() }

    /// A short run on the sample (window 32, 1 epoch, 1,500 rows).
    private func run(_ extra: [String]) throws -> CommandResult {
        try CommandRunner.run(
            [
                BuiltProducts.sample("eurusd_1h_d1.csv"), "--columns", "CLOSE", "--window-size", "32", "--initial-size", "8",
                "--epochs", "1", "--max-steps", "1500", "--seed", "3",
            ] + extra)
    }

    func testADashSendsTheLogToStandardOutputAndTheMessagesToStandardError() throws {
        let r = try run(["--save-log", "-"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let log = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any]
        XCTAssertNotNil(log?["training"], "standard output holds the log and nothing else:\n\(r.stdout.prefix(300))")
        XCTAssertTrue(r.stderr.contains("done in"), "the run's messages moved to standard error: \(r.stderr)")
    }

    func testADashSendsTheFeaturesToStandardOutput() throws {
        let r = try run(["--output-file", "-", "--quiet-mode"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let lines = r.stdout.split(separator: "\n")
        XCTAssertEqual(lines.first, "feature_1,feature_2,feature_3,feature_4,feature_5,feature_6,feature_7,feature_8")
        XCTAssertEqual(lines.count - 1, 1500 - 32 + 1, "one row per window")
    }

    func testTheOriginalsDevStdoutIdiomWritesInPlace() throws {
        var info = stat()
        let r = try run(["--save-config", "/dev/stdout", "--quiet-mode"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertNotNil(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any], r.stdout)
        XCTAssertEqual(lstat("/dev/stdout", &info), 0)
        XCTAssertEqual(info.st_mode & S_IFMT, S_IFLNK, "/dev/stdout must stay a symbolic link")
        let null = try run(["--save-log", "/dev/null", "--quiet-mode"])
        XCTAssertEqual(null.status, 0, null.stderr)
        XCTAssertEqual(stat("/dev/null", &info), 0)
        XCTAssertEqual(info.st_mode & S_IFMT, S_IFCHR, "/dev/null must stay a device")
    }

    func testASymbolicLinkIsWrittenThroughAndStaysALink() throws {
        try "{}".write(toFile: dir.file("target.json"), atomically: true, encoding: .utf8)
        try FileManager.default.createSymbolicLink(atPath: dir.file("link.json"), withDestinationPath: "target.json")
        let r = try run(["--save-config", dir.file("link.json"), "--quiet-mode"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(try FileManager.default.destinationOfSymbolicLink(atPath: dir.file("link.json")), "target.json")
        let config = try String(contentsOfFile: dir.file("target.json"), encoding: .utf8)
        XCTAssertTrue(config.contains("\"window_size\""), config)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted(), ["link.json", "target.json"])
    }

    func testAModelRefusesStandardOutputAndDevicesBeforeTraining() throws {
        for target in ["-", "/dev/null"] {
            let r = try run(["--save-encoder", target])
            XCTAssertEqual(r.status, 64, "\(target): \(r.stderr)")
            XCTAssertTrue(r.stderr.contains("save_encoder") && r.stderr.contains("give a file path"), r.stderr)
            XCTAssertFalse(r.stdout.contains("epoch"), "refused before training")
        }
    }

    func testADanglingLinkOrADirectoryIsRefusedUpFront() throws {
        try FileManager.default.createSymbolicLink(atPath: dir.file("dangling.json"), withDestinationPath: "nowhere/x.json")
        let dangling = try run(["--save-log", dir.file("dangling.json")])
        XCTAssertEqual(dangling.status, 74, dangling.stderr)
        XCTAssertTrue(dangling.stderr.contains("symbolic link to a file that does not exist"), dangling.stderr)
        let directory = try run(["--save-log", dir.path])
        XCTAssertEqual(directory.status, 74, directory.stderr)
        XCTAssertTrue(directory.stderr.contains("is a directory"), directory.stderr)
    }

    /// A database or key path of `-` is a file name like any other (Foundation's path methods
    /// trapped on it: exit 132).
    func testADashAsADatabaseOrKeyPathIsAFileNotACrash() throws {
        let store = try CommandRunner.run(["audit", "list", "--db", "-"], in: dir.path)
        XCTAssertEqual(store.status, 0, store.stderr)
        XCTAssertTrue(FileManager.default.fileExists(atPath: dir.file("-")))
        try FileManager.default.createDirectory(atPath: dir.file("keys"), withIntermediateDirectories: false)
        let key = try CommandRunner.run(
            ["keys", "generate", "--out", "-"], in: dir.file("keys"), environment: ["FEATURE_EXTRACTOR_HOME": dir.file("home")])
        XCTAssertEqual(key.status, 0, key.stderr)
        XCTAssertTrue(FileManager.default.fileExists(atPath: dir.file("keys/-.pub")))
    }
}
