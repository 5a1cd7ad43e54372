import Foundation
import RemoteClient
import StateStore
import TestSupport
import XCTest

/// The CLI's remote options against a real server process.
final class CLIRemoteTests: XCTestCase {
    private var dir: TemporaryDirectory!

    override func setUpWithError() throws { dir = try TemporaryDirectory() }
    override func tearDown() { dir.remove() }

    private func server() throws -> TestServer {
        do { return try TestServer() } catch let e as TestServerError { throw XCTSkip("\(e)") }
    }

    private func run(_ s: TestServer, _ extra: [String], token: String? = nil, input: String = "eurusd_1h_d1.csv") throws
        -> CommandResult
    {
        try CommandRunner.run(
            [
                BuiltProducts.sample(input), "--columns", "CLOSE", "--max-steps", "1500", "--window-size", "24",
                "--initial-size", "3", "--epochs", "1", "--ca-file", s.certificate,
            ] + extra,
            environment: ["FEATURE_EXTRACTOR_TOKEN": token ?? s.operatorToken])
    }

    func testModelsAndConfigsTravelThroughTheServer() throws {
        let s = try server()
        defer { s.stop() }
        let saved = try run(s, ["--output-file", dir.file("a.csv"), "--save-encoder", s.url("/v1/models/enc/versions/1")])
        XCTAssertEqual(saved.status, 0, saved.stderr)
        // A shared config carries no output destinations of its own here: a model version is immutable,
        // so re-saving a re-exported model (new created_at) under it would rightly be refused (409).
        let shared = try run(s, ["--output-file", dir.file("c.csv"), "--remote-save-config", s.url("/v1/configs/shared")])
        XCTAssertEqual(shared.status, 0, shared.stderr)
        let loaded = try run(
            s,
            [
                "--output-file", dir.file("b.csv"), "--load-encoder", s.url("/v1/models/enc/versions/1"),
                "--remote-load-config", s.url("/v1/configs/shared"),
            ])
        XCTAssertEqual(loaded.status, 0, loaded.stderr)
        XCTAssertEqual(
            try String(contentsOfFile: dir.file("b.csv"), encoding: .utf8),
            try String(contentsOfFile: dir.file("a.csv"), encoding: .utf8),
            "the downloaded encoder reproduces the features")
        let audit = try TestPlugins.store.entries(AuditFilter(action: "model.load")).last
        XCTAssertEqual(audit?.target, s.url("/v1/models/enc/versions/1"))
    }

    /// Finding 1: a config saved on the server by an operator chose local write paths, the
    /// input file and the model URLs (where an admin's token went). A remote config now sets
    /// training and plugin parameters only; every other key is refused, named, and audited.
    func testRemoteConfigMaySetTrainingAndPluginParametersOnly() throws {
        let s = try server()
        defer { s.stop() }
        let victim = dir.file("precious.csv")
        try Data("keep me\n".utf8).write(to: URL(fileURLWithPath: victim))
        let attacks: [(name: String, json: String, key: String)] = [
            ("sandbox", #"{"allow_weaker_sandbox": ["landlock"], "epochs": 1}"#, "allow_weaker_sandbox"),
            ("token-elsewhere", #"{"save_encoder": "https://127.0.0.1:1/v1/models/stolen/versions/1"}"#, "save_encoder"),
            ("load-elsewhere", #"{"load_encoder": "https://127.0.0.1:1/v1/models/x/versions/1"}"#, "load_encoder"),
            ("overwrite", #"{"output_file": "\#(victim)"}"#, "output_file"),
            ("overwrite-log", #"{"save_log": "\#(victim)"}"#, "save_log"),
            ("evaluate", #"{"evaluate_decoder": "\#(victim)"}"#, "evaluate_decoder"),
            ("input", #"{"input_file": "/etc/passwd"}"#, "input_file"),
            ("original-spelling", #"{"csv_file": "/etc/passwd"}"#, "input_file"),
            ("limits", #"{"max_run_seconds": 99999}"#, "max_run_seconds"),
        ]
        let c = try s.client(s.operatorToken)
        for attack in attacks {
            _ = try c.send("POST", s.url("/v1/configs/\(attack.name)"), body: Data(attack.json.utf8), idempotent: false)
            let r = try run(s, ["--output-file", dir.file("f.csv"), "--remote-load-config", s.url("/v1/configs/\(attack.name)")])
            XCTAssertEqual(r.status, 64, "\(attack.name): \(r.stderr)")
            XCTAssertTrue(
                r.stderr.contains("'\(attack.key)'") && r.stderr.contains("may not set it")
                    && r.stderr.contains("training and plugin parameters only"), "\(attack.name): \(r.stderr)")
            XCTAssertFalse(r.stderr.contains("root:"), "the chosen input's content is never read: \(r.stderr)")
        }
        XCTAssertEqual(try String(contentsOfFile: victim, encoding: .utf8), "keep me\n", "the local file was not touched")
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir.file("f.csv")))
        let refused = try TestPlugins.store.entries(AuditFilter(action: "config.load")).filter { $0.outcome == .refused }
        for attack in attacks {
            XCTAssertTrue(
                refused.contains { $0.target == s.url("/v1/configs/\(attack.name)") && $0.details.contains(attack.key) },
                "the client audits the refused remote config \(attack.name)")
        }

        // Training and plugin parameters are taken.
        _ = try c.send(
            "POST", s.url("/v1/configs/fine"),
            body: Data(#"{"epochs": 1, "window_size": 24, "encoder": {"activation": "relu"}}"#.utf8), idempotent: false)
        let fine = try run(s, ["--output-file", dir.file("f.csv"), "--remote-load-config", s.url("/v1/configs/fine")])
        XCTAssertEqual(fine.status, 0, fine.stderr)
    }

    /// Finding 1, the token's side: model URLs that a local config file names go only to a host the
    /// operator named on the command line; another host trusted by the same CA never sees the token.
    func testTheTokenGoesOnlyToHostsNamedOnTheCommandLine() throws {
        let s = try server()
        defer { s.stop() }
        let other = try TestServerOnPort(port: 0, like: s)
        defer { other.stop() }
        let file = dir.file("run.json")
        let elsewhere = "https://127.0.0.1:\(other.port)/v1/models/stolen/versions/1"
        try Data(#"{"save_encoder": "\#(elsewhere)"}"#.utf8).write(to: URL(fileURLWithPath: file))
        let before = try StateStore.open(path: s.database).entries(AuditFilter(action: "remote.request")).count
        let refused = try run(
            s, ["--output-file", dir.file("f.csv"), "--load-config", file, "--remote-log", s.url("/v1/logs")])
        XCTAssertEqual(refused.status, 64, refused.stderr)
        XCTAssertTrue(refused.stderr.contains("refusing to send the token to \(elsewhere)"), refused.stderr)
        XCTAssertTrue(refused.stderr.contains("--remote-host"), refused.stderr)
        XCTAssertEqual(
            try StateStore.open(path: s.database).entries(AuditFilter(action: "remote.request")).count, before,
            "neither server received a request")
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir.file("f.csv")))

        let listed = try run(
            s, ["--output-file", dir.file("f.csv"), "--load-config", file, "--remote-host", "127.0.0.1:\(other.port)"])
        XCTAssertEqual(listed.status, 0, "a host the operator lists receives the upload: \(listed.stderr)")
    }

    /// Fail fast: a server to save to is checked before any work, so a stopped server or a CA
    /// the client does not trust fails in seconds, with nothing trained and nothing written.
    func testAnUploadTargetThatDoesNotAnswerFailsBeforeTraining() throws {
        let s = try server()
        let target = s.url("/v1/models/enc/versions/1")
        s.stop()  // down
        let down = try run(s, ["--output-file", dir.file("f.csv"), "--save-encoder", target])
        XCTAssertEqual(down.status, 75, down.stderr)
        XCTAssertTrue(
            down.stderr.contains("\(target) is unreachable") && down.stderr.contains("nothing was trained"), down.stderr)
        XCTAssertFalse(down.stderr.contains("epoch"), "no training started: \(down.stderr)")
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir.file("f.csv")))

        let up = try TestServerOnPort(port: s.port, like: s)
        defer { up.stop() }
        var untrusted = try run(s, ["--output-file", dir.file("f.csv"), "--remote-save-config", s.url("/v1/configs/x")])
        XCTAssertEqual(untrusted.status, 0, "the same server, answering: \(untrusted.stderr)")
        untrusted = try CommandRunner.run(
            [
                BuiltProducts.sample("eurusd_1h_d1.csv"), "--columns", "CLOSE", "--max-steps", "1500", "--window-size", "24",
                "--initial-size", "3", "--epochs", "1", "--output-file", dir.file("g.csv"), "--save-encoder", target,
            ],
            environment: ["FEATURE_EXTRACTOR_TOKEN": s.operatorToken])
        XCTAssertEqual(untrusted.status, 75, "no --ca-file: the test CA is not trusted. \(untrusted.stderr)")
        XCTAssertTrue(untrusted.stderr.contains("certificate") && untrusted.stderr.contains("--ca-file"), untrusted.stderr)
        XCTAssertFalse(untrusted.stderr.contains("epoch"), untrusted.stderr)
    }

    func testRemoteLogNeverFailsTheRunAndSpoolsUntilTheServerIsBack() throws {
        let s = try server()
        let url = s.url("/v1/logs")
        s.stop()  // down
        let before = try TestPlugins.store.spooled(limit: 100_000).filter { $0.url == url }.count
        let down = try run(s, ["--output-file", dir.file("f.csv"), "--remote-log", url])
        XCTAssertEqual(down.status, 0, "the run succeeds without its log server: \(down.stderr)")
        let spooled = try TestPlugins.store.spooled(limit: 100_000).filter { $0.url == url }
        XCTAssertGreaterThan(spooled.count, before, "undelivered events are spooled")
        XCTAssertTrue(spooled.contains { $0.payload.contains("\"event\":\"epoch\"") })
        XCTAssertTrue(spooled.contains { $0.payload.contains("\"event\":\"run.start\"") })

        // Same address, server back: the spool goes first, then this run's events.
        let again = try TestServerOnPort(port: s.port, like: s)
        defer { again.stop() }
        let up = try run(s, ["--output-file", dir.file("g.csv"), "--remote-log", url])
        XCTAssertEqual(up.status, 0, up.stderr)
        XCTAssertEqual(try TestPlugins.store.spooled(limit: 100_000).filter { $0.url == url }.count, 0, "the spool was delivered")
        let received = try StateStore.open(path: s.database).remoteLogEvents(limit: 10_000)
        XCTAssertGreaterThanOrEqual(
            received.filter { $0.contains("\"event\":\"run.start\"") }.count, 2, "both runs' events arrived")
    }

    func testTokenNeverAppearsInAnyOutputOfFailingRuns() throws {
        let s = try server()
        defer { s.stop() }
        let results = [
            try run(s, ["--output-file", dir.file("f.csv"), "--load-encoder", s.url("/v1/models/none/versions/1")]),
            try run(s, ["--output-file", dir.file("f.csv"), "--remote-load-config", s.url("/v1/configs/none")]),
            try run(
                s, ["--output-file", dir.file("f.csv"), "--remote-load-config", s.url("/v1/configs/x")],
                token: "fe_12345678_" + String(repeating: "s", count: 43)),
            try run(s, ["--output-file", dir.file("f.csv"), "--remote-load-config", "http://127.0.0.1:\(s.port)/v1/configs/x"]),
            try run(
                s,
                [
                    "--output-file", dir.file("f.csv"), "--remote-load-config",
                    "https://u:\(s.operatorToken)@127.0.0.1:\(s.port)/v1/configs/x",
                ]),
        ]
        for r in results {
            XCTAssertNotEqual(r.status, 0)
            for secret in [s.operatorToken, String(repeating: "s", count: 43)] {
                XCTAssertFalse(r.stdout.contains(secret) || r.stderr.contains(secret), "a secret leaked: \(r.stderr)")
            }
        }
        XCTAssertEqual(results[3].status, 64)
        XCTAssertTrue(results[3].stderr.contains("only https://"), results[3].stderr)
        XCTAssertEqual(results[2].status, 77, results[2].stderr)
        let export =
            try CommandRunner.run(["audit", "export"]).stdout
            + (try CommandRunner.run(["audit", "export", "--db", s.database]).stdout)
        XCTAssertFalse(export.contains(s.operatorToken))
    }

    /// `user token --output` hands the private key out once, in a new 0600 file the client reads;
    /// the same file readable by group or others is refused before anything is sent.
    func testTheTokenFileIsWrittenOnce0600AndRefusedWhenOthersCanReadIt() throws {
        let s = try server()
        defer { s.stop() }
        let file = dir.file("ops.token")
        let issued = try CommandRunner.run(["user", "token", "ops", "--label", "file", "--output", file, "--db", s.database])
        XCTAssertEqual(issued.status, 0, issued.stderr)
        let text = try String(contentsOfFile: file, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        XCTAssertNotNil(text.wholeMatch(of: /fe_[0-9a-f]{8}_[A-Za-z0-9_-]{43}/))
        XCTAssertFalse(issued.stdout.contains(String(text.suffix(43))), "printed nowhere: \(issued.stdout)")
        XCTAssertEqual(try FileManager.default.attributesOfItem(atPath: file)[.posixPermissions] as? Int, 0o600)
        let again = try CommandRunner.run(["user", "token", "ops", "--output", file, "--db", s.database])
        XCTAssertEqual(again.status, 64, "never over an existing file: \(again.stderr)")
        XCTAssertEqual(
            try String(contentsOfFile: file, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines), text)

        let args = [
            BuiltProducts.sample("eurusd_1h_d1.csv"), "--columns", "CLOSE", "--max-steps", "1500", "--window-size", "24",
            "--initial-size", "3", "--epochs", "1", "--ca-file", s.certificate, "--output-file", dir.file("f.csv"),
            "--remote-log", s.url("/v1/logs"), "--token-file", file,
        ]
        let before = try StateStore.open(path: s.database).entries(AuditFilter(action: "remote.request")).count
        for mode in [0o640, 0o604] {
            chmod(file, mode_t(mode))
            let refused = try CommandRunner.run(args, environment: ["FEATURE_EXTRACTOR_TOKEN": ""])
            XCTAssertEqual(refused.status, 64, refused.stderr)
            XCTAssertTrue(refused.stderr.contains("must be mode 0600"), refused.stderr)
            XCTAssertFalse(refused.stderr.contains(String(text.suffix(43))))
        }
        XCTAssertEqual(
            try StateStore.open(path: s.database).entries(AuditFilter(action: "remote.request")).count, before,
            "nothing was sent with a file others can read")
        chmod(file, 0o600)
        let used = try CommandRunner.run(args, environment: ["FEATURE_EXTRACTOR_TOKEN": ""])
        XCTAssertEqual(used.status, 0, used.stderr)
        let id = String(text.dropFirst(3).prefix(8))
        XCTAssertTrue(
            try StateStore.open(path: s.database).entries(AuditFilter(action: "remote.request"))
                .contains { $0.detailsDictionary["token_id"] == id && $0.outcome == .success },
            "the issued token signs requests the server accepts")
    }
}
