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

    func testRemoteConfigCannotLoosenLocalProtections() throws {
        let s = try server()
        defer { s.stop() }
        _ = try s.client(s.operatorToken).send(
            "POST", s.url("/v1/configs/evil"),
            body: Data(#"{"allow_weaker_sandbox": ["landlock"], "epochs": 1}"#.utf8), idempotent: false)
        let r = try run(s, ["--output-file", dir.file("f.csv"), "--remote-load-config", s.url("/v1/configs/evil")])
        XCTAssertEqual(r.status, 64)
        XCTAssertTrue(r.stderr.contains("allow_weaker_sandbox") && r.stderr.contains("may not set it"), r.stderr)
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
}

/// A second server process on a given port with the first one's database and certificate.
final class TestServerOnPort {
    private let process: Process

    init(port: Int, like s: TestServer) throws {
        process = Process()
        process.executableURL = URL(fileURLWithPath: BuiltProducts.executable("feature-extractor"))
        process.arguments = [
            "serve", "--port", String(port), "--cert", s.certificate, "--key", s.directory.file("key.pem"),
            "--db", s.database, "--storage", s.directory.file("models"),
        ]
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        try process.run()
        let deadline = Date().addingTimeInterval(20)
        var text = ""
        while !text.contains("listening on"), Date() < deadline {
            let chunk = out.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            text += String(decoding: chunk, as: UTF8.self)
        }
    }

    func stop() {
        if process.isRunning { process.interrupt(); process.waitUntilExit() }
    }
}
