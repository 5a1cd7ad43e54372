import Foundation
import RemoteClient
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
}
