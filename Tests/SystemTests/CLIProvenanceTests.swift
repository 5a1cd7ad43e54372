import Foundation
import TestSupport
import XCTest

/// A third party's round trip with the CLI alone: generate a key, sign a plugin, trust, run.
final class CLIProvenanceTests: XCTestCase {
    func testGenerateSignTrustRunRoundTrip() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let env = ["FEATURE_EXTRACTOR_HOME": dir.file("home")]
        let root = BuiltProducts.repositoryRoot.path
        func fe(_ args: [String]) throws -> CommandResult { try CommandRunner.run(args, environment: env) }

        let gen = try fe(["keys", "generate", "--name", "acme", "--out", dir.file("acme.key")])
        XCTAssertEqual(gen.status, 0, gen.stderr)
        XCTAssertFalse(
            gen.stdout.contains(try String(contentsOfFile: dir.file("acme.key"), encoding: .utf8)),
            "the private key is never printed")
        for (template, exe) in [("Encoders/ANN", "fe-encoder-ann"), ("Decoders/ANN", "fe-decoder-ann")] {
            let r = try fe([
                "plugin", "install", "--manifest", "\(root)/Plugins/\(template)/plugin.json", "--executable",
                BuiltProducts.executable(exe), "--into", dir.file("plugins"),
            ])
            XCTAssertEqual(r.status, 0, r.stderr)
            let s = try fe([
                "plugin", "sign", dir.file("plugins/\(template.hasPrefix("Enc") ? "encoders" : "decoders")/ann"), "--key",
                dir.file("acme.key"),
            ])
            XCTAssertEqual(s.status, 0, s.stderr)
        }
        let run = [
            BuiltProducts.sample("eurusd_1h_d1.csv"), "--columns", "CLOSE", "--max-steps", "1000", "--window-size", "16",
            "--initial-size", "2", "--epochs", "1", "--plugins-dir", dir.file("plugins"), "--output-file", dir.file("f.csv"),
        ]
        let untrusted = try fe(run)
        XCTAssertEqual(untrusted.status, 69, "not trusted yet")
        XCTAssertTrue(untrusted.stderr.contains("unknown key"), untrusted.stderr)

        let verifyBefore = try fe(["plugin", "verify", dir.file("plugins/encoders/ann")])
        XCTAssertNotEqual(verifyBefore.status, 0)
        XCTAssertEqual(try fe(["keys", "trust", dir.file("acme.key.pub")]).status, 0)
        let verify = try fe(["plugin", "verify", dir.file("plugins/encoders/ann")])
        XCTAssertEqual(verify.status, 0, verify.stderr)
        XCTAssertTrue(verify.stdout.contains("ok: encoder ann"), verify.stdout)

        let trusted = try fe(run)
        XCTAssertEqual(trusted.status, 0, trusted.stderr)

        let keys = try fe(["keys", "list"])
        XCTAssertTrue(keys.stdout.contains("acme"), keys.stdout)
        let audit = try fe(["audit", "list", "--action", "trust.add"])
        XCTAssertTrue(audit.stdout.contains("trust.add"), "trust changes are recorded: \(audit.stdout)")
    }
}
