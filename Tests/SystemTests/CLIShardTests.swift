import Foundation
import TestSupport
import XCTest

/// `--rows` and `--shard`: shards of a run, concatenated in order, are the single run's bytes,
/// and each reports the digests a merger checks. Bad selections are usage errors, never traps.
final class CLIShardTests: XCTestCase {
    nonisolated(unsafe) private static var models: TemporaryDirectory!
    private var dir: TemporaryDirectory!

    /// One small model pair for every test (two columns, so a block mixes columns as a real job does).
    override class func setUp() {
        super.setUp()
        do {
            models = try TemporaryDirectory()
            let sample = try String(contentsOfFile: BuiltProducts.sample("eurusd_1h_d1.csv"), encoding: .utf8)
            let head = sample.split(separator: "\n", omittingEmptySubsequences: false).prefix(9_001)
            try (head.joined(separator: "\n") + "\n").write(toFile: models.file("in.csv"), atomically: true, encoding: .utf8)
            let r = try CommandRunner.run([
                models.file("in.csv"), "--columns", "OPEN,CLOSE", "--window-size", "32", "--initial-size", "4", "--epochs", "1",
                "--max-steps", "1500",
                "--save-encoder", models.file("enc.safetensors"), "--save-decoder", models.file("dec.safetensors"),
                "--output-file", models.file("train-features.csv"), "--quiet-mode",
            ])
            precondition(r.status == 0, "training the shard tests' model failed: \(r.stderr)")
        } catch {
            preconditionFailure("cannot set up the shard tests: \(error)")
        }
    }

    override class func tearDown() { models.remove() }
    override func setUpWithError() throws { dir = try TemporaryDirectory() }
    override func tearDown() { dir.remove() }

    private func run(_ name: String, _ extra: [String]) throws -> CommandResult {
        try CommandRunner.run(
            [
                Self.models.file("in.csv"), "--columns", "OPEN,CLOSE", "--load-encoder", Self.models.file("enc.safetensors"),
                "--load-decoder", Self.models.file("dec.safetensors"), "--force-date",
                "--output-file", dir.file("\(name).features.csv"), "--evaluate-decoder", dir.file("\(name).rec.csv"),
            ] + extra)
    }

    private func bytes(_ name: String) throws -> Data { try Data(contentsOf: URL(fileURLWithPath: dir.file(name))) }

    func testShardsConcatenatedInOrderAreTheSingleRunsBytes() throws {
        let whole = try run("whole", ["--quiet-mode"])
        XCTAssertEqual(whole.status, 0, whole.stderr)
        let features = try bytes("whole.features.csv"), reconstruction = try bytes("whole.rec.csv")
        XCTAssertEqual(features.split(separator: 0x0A).count, 1 + 9_000 - 31, "header and one row per window")
        // Seams inside the first window, right at its end, across request blocks (2,048 windows of each of the two
        // columns) and reconstruction batches (4,096), an empty range, and the end.
        // Each cut with another number of encoder processes: neither changes a byte.
        let cuts = [(0, 10), (10, 31), (31, 32), (32, 4_100), (4_100, 4_100), (4_100, 6_000), (6_000, 9_000)]
        for (i, (start, end)) in cuts.enumerated() {
            let r = try run("rows\(i)", ["--rows", "\(start):\(end)", "--encode-processes", "\(1 + i % 3)", "--quiet-mode"])
            XCTAssertEqual(r.status, 0, "--rows \(start):\(end): \(r.stderr)")
        }
        XCTAssertEqual(try cuts.indices.map { try bytes("rows\($0).features.csv") }.reduce(Data(), +), features)
        XCTAssertEqual(try cuts.indices.map { try bytes("rows\($0).rec.csv") }.reduce(Data(), +), reconstruction)
        for count in [2, 7] {
            for index in 0..<count {
                let r = try run("s\(index)of\(count)", ["--shard", "\(index)/\(count)", "--quiet-mode"])
                XCTAssertEqual(r.status, 0, r.stderr)
            }
            let merged = try (0..<count).map { try bytes("s\($0)of\(count).features.csv") }.reduce(Data(), +)
            XCTAssertEqual(merged, features, "\(count) shards")
            XCTAssertEqual(try (0..<count).map { try bytes("s\($0)of\(count).rec.csv") }.reduce(Data(), +), reconstruction)
        }
    }

    /// The report a merger checks: the rows, the header flag, each output's SHA-256 and size, the models' digests.
    func testTheJSONSummaryReportsTheShardsRowsAndDigests() throws {
        let r = try run("s", ["--shard", "1/3", "--json"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let summary = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        let shard = try XCTUnwrap(summary["shard"] as? [String: Any], r.stdout)
        XCTAssertEqual(shard["selection"] as? String, "shard 1/3")
        XCTAssertEqual(shard["rows"] as? [Int], [3_000, 6_000])
        XCTAssertEqual(shard["total_rows"] as? Int, 9_000, "--shard counts the rows to split them")
        XCTAssertEqual(shard["header"] as? Bool, false)
        XCTAssertEqual(shard["windows"] as? Int, 3_000)
        XCTAssertEqual(shard["encoder_sha256"] as? String, try Self.sha256(Self.models.file("enc.safetensors")))
        XCTAssertEqual(shard["decoder_sha256"] as? String, try Self.sha256(Self.models.file("dec.safetensors")))
        let outputs = try XCTUnwrap(shard["outputs"] as? [[String: Any]])
        XCTAssertEqual(outputs.map { $0["path"] as? String }, [dir.file("s.features.csv"), dir.file("s.rec.csv")])
        for o in outputs {
            let path = try XCTUnwrap(o["path"] as? String)
            XCTAssertEqual(o["sha256"] as? String, try Self.sha256(path), path)
            XCTAssertEqual(o["bytes"] as? Int, try bytes(URL(fileURLWithPath: path).lastPathComponent).count)
        }
        // A shard with no rows (more shards than rows, or the end): empty files, a summary without figures.
        let empty = try run("e", ["--rows", "9000:9000", "--json"])
        XCTAssertEqual(empty.status, 0, empty.stderr)
        let e = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(empty.stdout.utf8)) as? [String: Any])
        XCTAssertEqual((e["shard"] as? [String: Any])?["windows"] as? Int, 0)
        XCTAssertEqual((e["metrics"] as? [Any])?.count, 0)
        XCTAssertEqual(try bytes("e.features.csv"), Data())
    }

    func testBadSelectionsAreUsageErrorsAndWriteNothing() throws {
        let cases: [([String], String)] = [
            (["--rows", "5:2"], "--rows START (5) is after END (2)"),
            (["--shard", "0/0"], "--shard N must be at least 1"),
            (["--shard", "3/3"], "--shard I counts from 0"),
            (["--rows", "99999999999999999999:"], "--rows takes START:END"),
            (["--rows", "0:9001"], "which has 9000 data rows"),
            (["--rows", "10000:10000"], "which has 9000 data rows"),
            (["--rows", "0:10", "--shard", "0/2"], "give --rows or --shard, not both"),
        ]
        for (args, message) in cases {
            let r = try run("bad", args)
            XCTAssertEqual(r.status, 64, "\(args): \(r.stderr)")
            XCTAssertTrue(r.stderr.contains(message), "\(args): \(r.stderr)")
            XCTAssertEqual(dir.contents(), [], "\(args): nothing written")
        }
        let training = try CommandRunner.run([
            Self.models.file("in.csv"), "--rows", "0:100", "--output-file", dir.file("f.csv"), "--epochs", "1",
        ])
        XCTAssertEqual(training.status, 64, training.stderr)
        XCTAssertTrue(training.stderr.contains("--load-encoder"), training.stderr)
        XCTAssertEqual(dir.contents(), [])
    }

    static func sha256(_ path: String) throws -> String {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/sha256sum")
        p.arguments = [path]
        let out = Pipe()
        p.standardOutput = out
        try p.run()
        let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        return String(text.prefix(64))
    }
}
