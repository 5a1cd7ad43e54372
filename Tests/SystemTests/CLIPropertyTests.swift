import Foundation
import TestSupport
import XCTest

/// No input makes the CLI crash: random combinations of options and values, sensible and
/// not, each end with an exit code of the README's table (never a signal, never "internal
/// error"). The generator is seeded, so a failure names the exact command to rerun.
final class CLIPropertyTests: XCTestCase {
    private var dir: TemporaryDirectory!

    override func setUpWithError() throws { dir = try TemporaryDirectory() }
    override func tearDown() { dir.remove() }

    /// README "Exit codes", minus 70 (internal error): random input must not reach it either.
    private let documented: Set<Int32> = [0, 64, 65, 69, 74, 75, 77]

    func testRandomCommandLinesEndWithDocumentedExitCodes() throws {
        try fixtures()
        var rng = SeededRandom(seed: 20_261_204)
        for round in 0..<120 {
            let args = commandLine(&rng)
            let r = try CommandRunner.run(args, in: dir.path)
            let shown = args.map { $0.contains(" ") || $0.isEmpty ? "'\($0)'" : $0 }.joined(separator: " ")
            XCTAssertTrue(
                documented.contains(r.status), "round \(round): exit \(r.status) for: \(shown)\n\(r.stderr.suffix(600))")
            XCTAssertFalse(r.stderr.contains("Fatal error") || r.stderr.contains("Illegal instruction"), shown)
        }
    }

    private func fixtures() throws {
        let sample = try String(contentsOfFile: BuiltProducts.sample("eurusd_1h_d1.csv"), encoding: .utf8)
        try sample.split(separator: "\n").prefix(400).joined(separator: "\n").write(
            toFile: dir.file("small.csv"), atomically: true, encoding: .utf8)
        try "".write(toFile: dir.file("empty.csv"), atomically: true, encoding: .utf8)
        try Data((0..<2048).map { UInt8(truncatingIfNeeded: $0 &* 73) }).write(to: URL(fileURLWithPath: dir.file("binary.csv")))
        try #"{"epochs": 1, "window_size": 16}"#.write(toFile: dir.file("ok.json"), atomically: true, encoding: .utf8)
        try #"{"epochs": "many", "window_size": [1]}"#.write(toFile: dir.file("typed.json"), atomically: true, encoding: .utf8)
        try "{not json".write(toFile: dir.file("bad.json"), atomically: true, encoding: .utf8)
        try FileManager.default.createDirectory(atPath: dir.file("adir"), withIntermediateDirectories: true)
    }

    private func commandLine(_ rng: inout SeededRandom) -> [String] {
        let files = [
            dir.file("small.csv"), dir.file("empty.csv"), dir.file("binary.csv"), dir.file("adir"), dir.file("missing.csv"),
            "-", "", "/dev/null",
        ]
        let outputs = [dir.file("out.csv"), "-", "/dev/null", dir.file("adir"), "/nonexistent/x.csv", dir.file("o.svg"), ""]
        let numbers = ["0", "1", "2", "16", "-3", "abc", "1e309", "nan", "99999999999999999999", "", "0x10", "3.5"]
        let options: [(String, [String])] = [
            ("--window-size", numbers + ["8", "32"]), ("--epochs", numbers), ("--batch-size", numbers),
            ("--initial-size", numbers), ("--max-steps", numbers + ["60", "200"]), ("--seed", numbers),
            ("--learning-rate", numbers), ("--threshold-error", numbers), ("--early-stopping-patience", numbers),
            ("--columns", ["CLOSE", "OPEN,CLOSE", "NOPE", "", ",", "\u{1B}[31m"]),
            ("--output-file", outputs), ("--save-log", outputs), ("--loss-plot", outputs + ["p.png"]),
            ("--evaluate-decoder", outputs), ("--save-encoder", outputs), ("--load-encoder", files + [dir.file("ok.json")]),
            ("--load-config", [dir.file("ok.json"), dir.file("typed.json"), dir.file("bad.json"), dir.file("missing.json")]),
            ("--encoder-plugin", ["ann", "pca", "nope", "../x", "default", ""]), ("--decoder-plugin", ["ann", "jumps", "x y"]),
            ("--encoder-param", ["intermediate_layers=1", "bogus", "=1", "learning_rate=-1", "activation=cubic"]),
            ("--validation-file", files),
        ]
        let flags = ["--quiet-mode", "--json", "--force-date", "--incremental-search", "--no-sandbox", "--help", "--version"]
        switch rng.below(10) {
        case 0:
            let subcommands = [
                ["plugin", "list"], ["plugin", "info", "encoder", "ann"], ["plugin", "info", "decoder", "nope"],
                ["keys", "list"], ["doctor"], ["policy", "show"], ["config", "migrate", dir.file("ok.json"), dir.file("m.json")],
                ["config", "migrate", dir.file("bad.json"), "-"], ["audit", "list"], ["plugin", "check", "encoder", "zzz"],
                ["nonsense"], ["plugin"], ["keys", "generate", "--out", "-"],
            ]
            var args = subcommands[rng.below(subcommands.count)]
            if rng.below(3) == 0 { args.append(rng.below(2) == 0 ? "--json" : "--bogus") }
            return args
        default:
            // Mostly small, quick jobs on a real file, with one to five options drawn at random.
            var args = [rng.below(4) == 0 ? files[rng.below(files.count)] : dir.file("small.csv")]
            args += ["--window-size", "16", "--max-steps", "120", "--epochs", "1", "--initial-size", "4"]
            for _ in 0..<(1 + rng.below(5)) {
                if rng.below(5) == 0 {
                    args.append(flags[rng.below(flags.count)])
                } else {
                    let (option, values) = options[rng.below(options.count)]
                    args += [option, values[rng.below(values.count)]]
                }
            }
            if !args.contains("--output-file") { args += ["--output-file", dir.file("f.csv")] }
            return args
        }
    }
}

/// SplitMix64, for a reproducible sequence of command lines.
private struct SeededRandom {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func below(_ n: Int) -> Int {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return Int((z ^ (z >> 31)) % UInt64(n))
    }
}
