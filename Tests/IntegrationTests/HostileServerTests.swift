import Foundation
import RemoteClient
import StateStore
import TestSupport
import XCTest

/// The client against a server that lies, redirects, dies mid-transfer or floods.
final class HostileServerTests: XCTestCase {
    nonisolated(unsafe) static var server: (process: Process, port: Int, base: TestServer)?

    /// Starts hostile_server.py with the certificate of a (real) test server's directory.
    static func start() throws -> (port: Int, base: TestServer) {
        if let s = server { return (s.port, s.base) }
        guard
            FileManager.default.isExecutableFile(atPath: "/usr/bin/python3")
                || FileManager.default.isExecutableFile(atPath: "/usr/local/bin/python3")
                || (try? Process.run(URL(fileURLWithPath: "/usr/bin/env"), arguments: ["python3", "-c", ""])) != nil
        else {
            throw XCTSkip("python3 is not installed: the hostile server is a Python script")
        }
        let base: TestServer
        do { base = try TestServer() } catch let e as TestServerError { throw XCTSkip("\(e)") }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = [
            "python3", BuiltProducts.repositoryRoot.appendingPathComponent("Tests/Fixtures/HostileServer/hostile_server.py").path,
            base.certificate, base.directory.file("key.pem"), base.operatorToken,
        ]
        let out = Pipe()
        p.standardOutput = out
        p.standardError = FileHandle.nullDevice
        try p.run()
        let line = String(decoding: out.fileHandleForReading.availableData, as: UTF8.self)
        guard let port = line.split(separator: " ").last.flatMap({ Int($0.trimmingCharacters(in: .whitespacesAndNewlines)) })
        else {
            p.terminate()
            throw XCTSkip("the hostile server did not start: \(line)")
        }
        server = (p, port, base)
        return (port, base)
    }

    override class func tearDown() {
        server?.process.terminate()
        server?.base.stop()
        server = nil
    }

    private func client(_ configure: (inout RemoteClientConfiguration) -> Void = { _ in }) throws -> (RemoteClient, Int) {
        let (port, base) = try Self.start()
        return (try base.client(base.operatorToken, configure: configure), port)
    }

    func testTamperedResponseIsDetected() throws {
        let (c, port) = try client()
        XCTAssertThrowsError(try c.send("GET", "https://127.0.0.1:\(port)/tamper", idempotent: true)) {
            guard case RemoteError.unauthenticatedResponse? = $0 as? RemoteError else { return XCTFail("\($0)") }
        }
        XCTAssertThrowsError(try c.send("GET", "https://127.0.0.1:\(port)/unsigned", idempotent: true)) {
            guard case RemoteError.unauthenticatedResponse? = $0 as? RemoteError else { return XCTFail("\($0)") }
        }
    }

    /// An upload or save the server fails (5xx) is an error the run reports, never a success:
    /// whatever the status, retried or not.
    func testAServerFailureOfANonRetriedRequestIsAnError() throws {
        let (c, port) = try client {
            $0.maxAttempts = 2; $0.baseBackoff = 0.01
        }
        for status in [500, 501, 502, 507] {
            XCTAssertThrowsError(
                try c.send("PUT", "https://127.0.0.1:\(port)/status-\(status)", body: Data("x".utf8), idempotent: false)
            ) { error in
                guard case RemoteError.refused(let got, let message)? = error as? RemoteError else {
                    return XCTFail("\(status): \(error)")
                }
                XCTAssertEqual(got, status)
                XCTAssertEqual(message, "storage full")
            }
        }
        XCTAssertThrowsError(try c.send("GET", "https://127.0.0.1:\(port)/status-501", idempotent: true)) { error in
            guard case RemoteError.refused(501, _)? = error as? RemoteError else { return XCTFail("\(error)") }
        }
    }

    func testRedirectToPlainHTTPIsRefused() throws {
        let (c, port) = try client()
        XCTAssertThrowsError(try c.send("GET", "https://127.0.0.1:\(port)/redirect-http", idempotent: true)) {
            guard case RemoteError.redirectRefused(302)? = $0 as? RemoteError else { return XCTFail("\($0)") }
        }
    }

    func testServerDyingMidDownloadIsAClearError() throws {
        let (c, port) = try client {
            $0.maxAttempts = 2; $0.deadline = 5
        }
        XCTAssertThrowsError(try c.send("GET", "https://127.0.0.1:\(port)/truncate", idempotent: true)) { error in
            XCTAssertTrue(error is RemoteError, "\(error)")
            XCTAssertFalse("\(error)".isEmpty)
        }
    }

    func testOversizedResponseIsCutAtTheLimit() throws {
        let (c, port) = try client { $0.maxResponseBytes = 4 << 20 }
        XCTAssertThrowsError(try c.send("GET", "https://127.0.0.1:\(port)/oversized", idempotent: true)) {
            guard case RemoteError.tooLarge(4 << 20)? = $0 as? RemoteError else { return XCTFail("\($0)") }
        }
    }

    func testModelWhoseDigestDoesNotMatchIsRefusedThroughTheCLI() throws {
        let (port, base) = try Self.start()
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let r = try CommandRunner.run(
            [
                BuiltProducts.sample("eurusd_1h_d1.csv"), "--columns", "CLOSE", "--load-encoder",
                "https://127.0.0.1:\(port)/digest-mismatch", "--ca-file", base.certificate, "--output-file", dir.file("f.csv"),
            ],
            environment: ["FEATURE_EXTRACTOR_TOKEN": base.operatorToken])
        XCTAssertEqual(r.status, 65, r.stderr)
        XCTAssertTrue(r.stderr.contains("does not match its digest"), r.stderr)
        XCTAssertFalse(r.stderr.contains(base.operatorToken) || r.stdout.contains(base.operatorToken))
        XCTAssertEqual(dir.contents(), [])
    }

    /// Finding 6: an answer trickled at one byte a second held the client forever. The
    /// operation's deadline covers every byte of the answer.
    func testATrickledAnswerEndsAtTheDeadline() throws {
        let (c, port) = try client {
            $0.deadline = 3; $0.readTimeout = 30
        }
        let started = Date()
        XCTAssertThrowsError(try c.send("GET", "https://127.0.0.1:\(port)/trickle", idempotent: true)) {
            guard case RemoteError.timedOut? = $0 as? RemoteError else { return XCTFail("\($0)") }
        }
        XCTAssertLessThan(Date().timeIntervalSince(started), 8, "the deadline, not the 1000 s the body would take")
    }

    /// Finding 9: a non-idempotent request (a config save) is not sent again on 503; a read is.
    func testRetriesAreExactlyTheDocumentedOnes() throws {
        let (c, port) = try client {
            $0.maxAttempts = 3; $0.baseBackoff = 0.01
        }
        let retries = EventLog()
        c.onRetry = { n, why in retries.append("\(n) \(why)") }
        XCTAssertThrowsError(
            try c.send("POST", "https://127.0.0.1:\(port)/status-503", body: Data("{}".utf8), idempotent: false)
        ) {
            guard case RemoteError.refused(503, _)? = $0 as? RemoteError else { return XCTFail("\($0)") }
        }
        XCTAssertEqual(retries.all, [], "a config save is never sent twice")
        XCTAssertThrowsError(try c.send("GET", "https://127.0.0.1:\(port)/status-503", idempotent: true)) {
            guard case RemoteError.gaveUp(3, "HTTP 503")? = $0 as? RemoteError else { return XCTFail("\($0)") }
        }
        XCTAssertEqual(retries.all.count, 2, "a read is retried up to the attempts allowed: \(retries.all)")
        XCTAssertTrue(RemoteClient.isRetried(status: 429, idempotent: false), "a 429 was refused before anything was done")
        for status in [400, 401, 403, 404, 409, 413, 501, 507] {
            XCTAssertFalse(RemoteClient.isRetried(status: status, idempotent: true), "\(status)")
        }
    }

    /// Finding 9: a certificate failure was retried ~22 times over ~50 s. It is not retried.
    func testACertificateFailureIsNotRetried() throws {
        let (port, base) = try Self.start()
        _ = base
        var settings = RemoteClientConfiguration()  // system roots: the test certificate is not trusted
        settings.maxAttempts = 5
        settings.deadline = 60
        let c = try RemoteClient(token: "fe_00000000_" + String(repeating: "x", count: 43), configuration: settings)
        let retries = EventLog()
        c.onRetry = { n, why in retries.append("\(n) \(why)") }
        let started = Date()
        XCTAssertThrowsError(try c.send("GET", "https://127.0.0.1:\(port)/status-200", idempotent: true)) {
            guard case RemoteError.certificate? = $0 as? RemoteError else { return XCTFail("\($0)") }
            XCTAssertTrue("\($0)".contains("--ca-file"), "\($0)")
        }
        XCTAssertEqual(retries.all, [])
        XCTAssertLessThan(Date().timeIntervalSince(started), 5)
    }

    private func runCLI(_ base: TestServer, _ dir: TemporaryDirectory, _ extra: [String]) throws -> CommandResult {
        try CommandRunner.run(
            [
                BuiltProducts.sample("eurusd_1h_d1.csv"), "--columns", "CLOSE", "--max-steps", "1500", "--window-size", "24",
                "--initial-size", "3", "--epochs", "1", "--ca-file", base.certificate, "--output-file", dir.file("f.csv"),
            ] + extra,
            environment: ["FEATURE_EXTRACTOR_TOKEN": base.operatorToken, "TMPDIR": dir.path])
    }

    /// Finding 5: an upload answered 501/507 and a config save answered 500/502 were reported as
    /// success. Any non-2xx after retries fails the run with the documented code, commits
    /// nothing and audits no save.
    func testServerFailuresFailTheRunAndCommitNothing() throws {
        let (port, base) = try Self.start()
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let before = try TestPlugins.store.entries(AuditFilter(action: "model.save")).count
        for (option, status) in [
            ("--save-encoder", 501), ("--save-encoder", 507), ("--remote-save-config", 500), ("--remote-save-config", 502),
        ] {
            let r = try runCLI(base, dir, [option, "https://127.0.0.1:\(port)/status-\(status)"])
            XCTAssertEqual(r.status, 75, "\(option) answered \(status): \(r.stderr)")
            XCTAssertTrue(r.stderr.contains("\(status)"), r.stderr)
            XCTAssertEqual(dir.contents().filter { !$0.hasPrefix("fe-staged") }, [], "nothing committed")
        }
        XCTAssertEqual(try TestPlugins.store.entries(AuditFilter(action: "model.save")).count, before)
        XCTAssertFalse(
            try TestPlugins.store.entries(AuditFilter(action: "config.save")).contains {
                $0.target.contains("/status-5") && $0.outcome == .success
            })
        // A log batch answered 500 is spooled, never dropped; the run itself succeeds.
        let url = "https://127.0.0.1:\(port)/status-500"
        let spooledBefore = try TestPlugins.store.spooled(limit: 100_000).filter { $0.url == url }.count
        let logged = try runCLI(base, dir, ["--remote-log", url])
        XCTAssertEqual(logged.status, 0, logged.stderr)
        XCTAssertGreaterThan(try TestPlugins.store.spooled(limit: 100_000).filter { $0.url == url }.count, spooledBefore)
    }

    /// Finding 6: SIGINT had no effect on a run waiting for a server, and SIGTERM left staged
    /// outputs behind. Both now end the run at once and remove every staged file.
    func testSignalsMidTransferEndTheRunAndRemoveStagedFiles() throws {
        let (port, base) = try Self.start()
        for (signal, code) in [(SIGINT, Int32(130)), (SIGTERM, Int32(143))] {
            let dir = try TemporaryDirectory()
            defer { dir.remove() }
            let process = Process()
            process.executableURL = URL(fileURLWithPath: BuiltProducts.executable("feature-extractor"))
            process.arguments = [
                BuiltProducts.sample("eurusd_1h_d1.csv"), "--columns", "CLOSE", "--max-steps", "1500", "--window-size", "24",
                "--initial-size", "3", "--epochs", "1", "--ca-file", base.certificate, "--output-file", dir.file("f.csv"),
                "--save-log", dir.file("log.json"), "--save-encoder", "https://127.0.0.1:\(port)/stall",
            ]
            var env = ProcessInfo.processInfo.environment
            env["FEATURE_EXTRACTOR_PLUGINS"] = TestPlugins.directory
            env["FEATURE_EXTRACTOR_POLICY"] = BuiltProducts.repositoryRoot.appendingPathComponent("Policies").path
            env["FEATURE_EXTRACTOR_HOME"] = TestPlugins.home
            env["FEATURE_EXTRACTOR_TOKEN"] = base.operatorToken
            env["TMPDIR"] = dir.path
            env.removeValue(forKey: "FEATURE_EXTRACTOR_DB")
            process.environment = env
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            // The upload runs before the commit: by then the outputs are staged.
            let staged = Date().addingTimeInterval(60)
            while Date() < staged, process.isRunning, !dir.contents().contains(where: { $0.contains(".staged-") }) {
                Thread.sleep(forTimeInterval: 0.1)
            }
            XCTAssertTrue(dir.contents().contains { $0.contains(".staged-") }, "outputs were staged: \(dir.contents())")
            Thread.sleep(forTimeInterval: 1)  // inside the upload, waiting for the stalled server
            kill(process.processIdentifier, signal)
            let sent = Date()
            while process.isRunning, Date().timeIntervalSince(sent) < 10 { Thread.sleep(forTimeInterval: 0.05) }
            XCTAssertFalse(process.isRunning, "signal \(signal) ended the run")
            if process.isRunning { process.terminate() }
            process.waitUntilExit()
            XCTAssertLessThan(Date().timeIntervalSince(sent), 3, "promptly")
            XCTAssertEqual(process.terminationStatus, code)
            XCTAssertEqual(dir.contents(), [], "no staged output (.NAME.staged-*) and no fe-staged-* directory is left")
        }
    }
}
