import Foundation
import TestSupport
import XCTest

/// An operator's day with the CLI: users and tokens, an authenticated run, the audit log
/// verified, then tampered with through raw SQL and the first broken entry named.
final class OperatorScenarioTests: XCTestCase {
    private var dir: TemporaryDirectory!
    private var env: [String: String] = [:]

    override func setUpWithError() throws {
        dir = try TemporaryDirectory()
        env = ["FEATURE_EXTRACTOR_HOME": dir.file("home"), "FEATURE_EXTRACTOR_TOKEN": ""]
        // This operator trusts the key that signed the test plugins.
        let trust = try fe(["keys", "trust", TestPlugins.home + "/keys/local.key.pub"])
        XCTAssertEqual(trust.status, 0, trust.stderr)
    }

    override func tearDown() { dir.remove() }

    private func fe(_ args: [String], token: String? = nil) throws -> CommandResult {
        var e = env
        if let token { e["FEATURE_EXTRACTOR_TOKEN"] = token }
        return try CommandRunner.run(args, environment: e)
    }

    private var run: [String] {
        [
            BuiltProducts.sample("eurusd_1h_d1.csv"), "--columns", "CLOSE", "--max-steps", "1000", "--window-size", "16",
            "--initial-size", "2", "--epochs", "1", "--plugins-dir", TestPlugins.directory, "--output-file", dir.file("f.csv"),
        ]
    }

    private func sqlite(_ db: String, _ sql: String) throws {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/sqlite3") else {
            throw XCTSkip("sqlite3 is not installed (apt-get install sqlite3)")
        }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/sqlite3")
        p.arguments = [db, sql]
        try p.run()
        p.waitUntilExit()
        XCTAssertEqual(p.terminationStatus, 0, sql)
    }

    func testOperatorRunsAsAUserAndTheAuditLogCatchesTampering() throws {
        XCTAssertEqual(try fe(["user", "add", "alice", "--role", "operator"]).status, 0)
        XCTAssertEqual(try fe(["user", "add", "victor", "--role", "viewer"]).status, 0)
        let aliceToken = try fe(["user", "token", "alice"]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let victorToken = try fe(["user", "token", "victor"]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        XCTAssertTrue(aliceToken.hasPrefix("fe_"), aliceToken)

        let ok = try fe(run + ["--username", "alice"], token: aliceToken)
        XCTAssertEqual(ok.status, 0, ok.stderr)
        let viewer = try fe(run + ["--username", "victor"], token: victorToken)
        XCTAssertEqual(viewer.status, 77)
        XCTAssertTrue(viewer.stderr.contains("may not run"), viewer.stderr)
        let forged = try fe(run + ["--username", "alice"], token: victorToken)
        XCTAssertEqual(forged.status, 77, "another user's token does not make you alice")
        let bad = try fe(run + ["--username", "alice"], token: "fe_00000000_" + String(repeating: "A", count: 43))
        XCTAssertEqual(bad.status, 77)
        let onCommandLine = try fe(run + ["--username", "alice", "--password", "hunter2hunter2"])
        XCTAssertEqual(onCommandLine.status, 64)
        XCTAssertTrue(onCommandLine.stderr.contains("process list"), onCommandLine.stderr)

        let listing = try fe(["audit", "list", "--actor", "alice", "--json"])
        XCTAssertEqual(listing.status, 0, listing.stderr)
        let entries = try JSONSerialization.jsonObject(with: Data(listing.stdout.utf8)) as! [[String: Any]]
        let actions = Set(entries.compactMap { $0["action"] as? String })
        XCTAssertTrue(actions.isSuperset(of: ["run.start", "plugin.load", "run.finish"]), "\(actions)")
        let refusals =
            try fe(["audit", "list", "--action", "auth.deny"]).stdout
            + (try fe(["audit", "list", "--action", "auth.fail"]).stdout)
        XCTAssertTrue(refusals.contains("victor") && refusals.contains("alice"), refusals)

        // No secret ever reaches output, the log or the database file.
        let export = try fe(["audit", "export"]).stdout
        XCTAssertEqual(try fe(["audit", "export", "--output", dir.file("audit.jsonl")]).status, 0)
        XCTAssertEqual(
            try String(contentsOfFile: dir.file("audit.jsonl"), encoding: .utf8), export, "the same entries, to a file")
        var st = stat()
        XCTAssertEqual(stat(dir.file("audit.jsonl"), &st), 0)
        XCTAssertEqual(st.st_mode & 0o777, 0o600, "the exported log is private")
        let database = try Data(contentsOf: URL(fileURLWithPath: dir.file("home/feature-extractor.sqlite")))
        for token in [aliceToken, victorToken] {
            XCTAssertFalse(export.contains(token))
            XCTAssertFalse(ok.stdout.contains(token) || ok.stderr.contains(token) || viewer.stderr.contains(token))
            XCTAssertNil(database.range(of: Data(token.utf8)), "the token is stored only as a hash")
        }
        let intact = try fe(["audit", "verify"])
        XCTAssertEqual(intact.status, 0, intact.stdout + intact.stderr)
        XCTAssertTrue(intact.stdout.hasPrefix("intact"), intact.stdout)
        // The anchor the operator keeps elsewhere; its entry number is the log's length now.
        let anchor = try XCTUnwrap(intact.stdout.split(separator: "\n").first { $0.hasPrefix("anchor: ") }?.dropFirst(8))
        let anchored = try XCTUnwrap(Int(anchor.split(separator: ":")[0]))
        let verified = try fe(["audit", "verify", "--json"])
        let report = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(verified.stdout.utf8)) as? [String: Any])
        XCTAssertEqual(report["intact"] as? Bool, true)
        XCTAssertEqual(report["anchor"] as? String, String(anchor), "--json gives the same anchor")
        XCTAssertEqual(report["entries"] as? Int, anchored)

        // Tampering, each on its own copy of the database (and its key).
        let attacks: [(String, String)] = [
            (
                "DROP TRIGGER auditEntry_append_only_update; UPDATE auditEntry SET actor = 'mallory' WHERE id = 3;",
                "BROKEN at entry 3"
            ),
            ("DROP TRIGGER auditEntry_append_only_delete; DELETE FROM auditEntry WHERE id = 4;", "BROKEN at entry 5"),
            (
                """
                DROP TRIGGER auditEntry_append_only_update;
                UPDATE auditEntry SET target = (SELECT target FROM auditEntry WHERE id = 7), hash = (SELECT hash FROM auditEntry WHERE id = 7),
                       mac = (SELECT mac FROM auditEntry WHERE id = 7) WHERE id = 6;
                """, "BROKEN at entry 6"
            ),
        ]
        for (n, (sql, expected)) in attacks.enumerated() {
            let copy = dir.file("copy\(n)")
            try FileManager.default.createDirectory(atPath: copy, withIntermediateDirectories: true)
            for suffix in ["", ".key"] {
                try FileManager.default.copyItem(
                    atPath: dir.file("home/feature-extractor.sqlite\(suffix)"), toPath: copy + "/db.sqlite\(suffix)")
            }
            try sqlite(copy + "/db.sqlite", sql)
            let verdict = try fe(["audit", "verify", "--db", copy + "/db.sqlite"])
            XCTAssertEqual(verdict.status, 65, "attack \(n): \(verdict.stdout)")
            XCTAssertTrue(verdict.stdout.contains(expected), "attack \(n): expected \(expected), got \(verdict.stdout)")
            let asJSON = try fe(["audit", "verify", "--db", copy + "/db.sqlite", "--json"])
            XCTAssertEqual(asJSON.status, 65, "attack \(n), --json: the exit code is the verdict")
            let broken = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(asJSON.stdout.utf8)) as? [String: Any])
            XCTAssertEqual(broken["intact"] as? Bool, false)
            XCTAssertEqual(broken["broken_entry"].map { "BROKEN at entry \($0)" }, expected, "attack \(n)")
            XCTAssertNotNil(broken["reason"] as? String)
        }
        // Cutting off the newest entries leaves a valid shorter chain: only the anchor shows it.
        let cut = dir.file("cut")
        try FileManager.default.createDirectory(atPath: cut, withIntermediateDirectories: true)
        for suffix in ["", ".key"] {
            try FileManager.default.copyItem(
                atPath: dir.file("home/feature-extractor.sqlite\(suffix)"), toPath: cut + "/db.sqlite\(suffix)")
        }
        try sqlite(
            cut + "/db.sqlite", "DROP TRIGGER auditEntry_append_only_delete; DELETE FROM auditEntry WHERE id >= \(anchored - 1);")
        XCTAssertEqual(try fe(["audit", "verify", "--db", cut + "/db.sqlite"]).status, 0, "a truncated chain is still a chain")
        let truncated = try fe(["audit", "verify", "--db", cut + "/db.sqlite", "--anchor", String(anchor)])
        XCTAssertEqual(truncated.status, 65, truncated.stdout + truncated.stderr)
        XCTAssertTrue(
            truncated.stdout.contains("BROKEN at entry \(anchored - 1)") && truncated.stdout.contains("removed"), truncated.stdout
        )

        // And the untampered original is still intact, anchor included.
        XCTAssertEqual(try fe(["audit", "verify"]).status, 0)
        XCTAssertEqual(try fe(["audit", "verify", "--anchor", String(anchor)]).status, 0)
        XCTAssertEqual(try fe(["audit", "verify", "--anchor", "12:nothex"]).status, 64)
    }
}
