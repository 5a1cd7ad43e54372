import Foundation
import RemoteAuth
import RemoteClient
import StateStore
import TestSupport
import XCTest

/// Findings 7, 8 and 9 of the remote hardening: what the server audits, how it keeps its
/// storage, and how strictly the admin endpoints read their bodies.
final class ServerAuditAndStorageTests: XCTestCase {
    private func server() throws -> TestServer {
        do { return try TestServer() } catch let e as TestServerError { throw XCTSkip("\(e)") }
    }

    /// Finding 8: signed requests to unknown paths and requests the HTTP parser refuses left no
    /// entry, and an HTTP user named `root` looked like the local OS user.
    func testUnknownPathsParserRejectionsAndHTTPActorsAreAudited() throws {
        let s = try server()
        defer { s.stop() }
        let store = try StateStore.open(path: s.database)
        _ = try store.addUser(name: "boss", role: .admin, password: nil)
        let admin = try s.client(try store.issueToken(for: "boss", label: "t", expiresAt: nil).token)
        XCTAssertThrowsError(try admin.send("GET", s.url("/v1/no-such-thing"), idempotent: true)) {
            guard case RemoteError.refused(404, _)? = $0 as? RemoteError else { return XCTFail("\($0)") }
        }
        _ = try admin.send(
            "POST", s.url("/v1/users"), body: Data(#"{"name": "root", "role": "operator"}"#.utf8), idempotent: false)
        let issued = try admin.send(
            "POST", s.url("/v1/users/root/tokens"), body: Data(#"{"label": "x"}"#.utf8), idempotent: false)
        let token = try XCTUnwrap((try JSONSerialization.jsonObject(with: issued.body) as? [String: Any])?["token"] as? String)
        _ = try s.client(token).send("POST", s.url("/v1/logs"), body: Data(#"[{"event":"x"}]"#.utf8), idempotent: false)

        // Bytes that are not HTTP, over TLS.
        let garbage = Process()
        garbage.executableURL = URL(fileURLWithPath: "/usr/bin/openssl")
        garbage.arguments = ["s_client", "-connect", "127.0.0.1:\(s.port)", "-quiet", "-CAfile", s.certificate]
        let input = Pipe()
        garbage.standardInput = input
        garbage.standardOutput = FileHandle.nullDevice
        garbage.standardError = FileHandle.nullDevice
        try garbage.run()
        input.fileHandleForWriting.write(Data("NOT HTTP AT ALL \u{1}\u{2}\r\n\r\n".utf8))
        Thread.sleep(forTimeInterval: 1)
        garbage.terminate()
        garbage.waitUntilExit()
        s.stop()  // flushes the connection entries

        let entries = try StateStore.open(path: s.database).entries()
        let notFound = try XCTUnwrap(entries.last { $0.target == "GET /v1/no-such-thing" })
        XCTAssertEqual(notFound.actor, "http:boss")
        XCTAssertEqual(notFound.detailsDictionary["status"], "404")
        XCTAssertTrue(entries.contains { $0.action == "user.add" && $0.actor == "http:boss" && $0.target == "root" })
        XCTAssertTrue(
            entries.contains { $0.action == "remote.request" && $0.actor == "http:root" && $0.target == "POST /v1/logs" },
            "an HTTP user named root is http:root")
        XCTAssertFalse(entries.contains { $0.actor == "root" && $0.action.hasPrefix("remote") })
        XCTAssertTrue(
            entries.contains { $0.action == "remote.connection" && $0.target.hasPrefix("malformed HTTP request") },
            "\(entries.filter { $0.action == "remote.connection" }.map(\.target))")
    }

    /// Finding 9: admin endpoints accepted 1/0 for booleans and true for integers.
    func testAdminEndpointsTakeJSONBooleansAndIntegersExactly() throws {
        let s = try server()
        defer { s.stop() }
        let store = try StateStore.open(path: s.database)
        _ = try store.addUser(name: "boss", role: .admin, password: nil)
        _ = try store.addUser(name: "svc", role: .viewer, password: nil)
        let admin = try s.client(try store.issueToken(for: "boss", label: "t", expiresAt: nil).token)
        func status(_ method: String, _ path: String, _ body: String) -> Int {
            do {
                return try admin.send(method, s.url(path), body: Data(body.utf8), idempotent: method == "PUT").status
            } catch RemoteError.refused(let status, _) {
                return status
            } catch {
                return -1
            }
        }
        for body in [#"{"disabled": 1}"#, #"{"disabled": 0}"#, #"{"disabled": "true"}"#] {
            XCTAssertEqual(status("PUT", "/v1/users/svc/disabled", body), 400, body)
        }
        XCTAssertFalse(try XCTUnwrap(try store.users().first { $0.name == "svc" }).disabled)
        XCTAssertEqual(status("PUT", "/v1/users/svc/disabled", #"{"disabled": true}"#), 200)
        XCTAssertEqual(status("PUT", "/v1/users/svc/disabled", #"{"disabled": false}"#), 200)
        for body in [#"{"label": "a", "expires_days": true}"#, #"{"label": "a", "expires_days": "3"}"#, #"{"label": 1}"#] {
            XCTAssertEqual(status("POST", "/v1/users/svc/tokens", body), 400, body)
        }
        XCTAssertEqual(status("POST", "/v1/users/svc/tokens", #"{"label": "a", "expires_days": 3}"#), 201)
    }

    /// Finding 7: staging files a `kill -9` left were never removed, and orphan content went unseen.
    func testStaleStagingFilesAreRemovedAtStartAndCheckStorageFindsOrphans() throws {
        let s = try server()
        let c = try s.client(s.operatorToken)
        let model = Data((0..<10_000).map { UInt8($0 % 7) })
        let digest = RequestSigning.sha256Hex(model)
        XCTAssertEqual(
            try c.send(
                "PUT", s.url("/v1/models/kept/versions/1"), body: model,
                headers: ["X-FE-Content-SHA256": digest, "X-FE-Model-Signature": "e30="], idempotent: true
            ).status, 201)
        s.stop()
        let storage = s.directory.file("models")
        let orphan = String(repeating: "ab", count: 32)
        for name in [".upload-0d1e2f", ".\(digest).tmp-ABC123", orphan] {
            try Data("debris".utf8).write(to: URL(fileURLWithPath: storage + "/" + name))
        }
        func check() throws -> CommandResult {
            try CommandRunner.run([
                "serve", "--check-storage", "--cert", s.certificate, "--key", s.directory.file("key.pem"), "--db", s.database,
                "--storage", storage,
            ])
        }
        let before = try check()
        XCTAssertEqual(before.status, 65, before.stdout + before.stderr)
        XCTAssertTrue(before.stdout.contains("orphan (no model version names it): \(storage)/\(orphan)"), before.stdout)
        XCTAssertTrue(before.stdout.contains("staging file: \(storage)/.upload-0d1e2f"), before.stdout)
        XCTAssertFalse(before.stdout.contains("missing"), "the kept model's content is there")

        let restarted = try TestServerOnPort(port: 0, like: s)
        restarted.stop()
        let left = try FileManager.default.contentsOfDirectory(atPath: storage).sorted()
        XCTAssertEqual(left, [orphan, digest].sorted(), "the staging files are gone after a start; content stays")
        try FileManager.default.removeItem(atPath: storage + "/" + orphan)
        let after = try check()
        XCTAssertEqual(after.status, 0, after.stdout + after.stderr)
        XCTAssertTrue(after.stdout.contains("storage is consistent"), after.stdout)
    }

    /// Finding 7, for real: the server is killed (SIGKILL) while an upload streams in. Its staging
    /// file is what is left; the next start removes it, and the storage checks out consistent.
    func testAnUploadCutByKillLeavesNothingAfterARestart() throws {
        let s = try server()
        let path = "/v1/models/cut/versions/1"
        let size = 64 << 20
        let digest = RequestSigning.sha256Hex(Data(repeating: 0, count: size))
        var headers = SignedHeaders.make(
            token: s.operatorToken, method: "PUT", authority: "127.0.0.1:\(s.port)", path: path, bodySHA256: digest)
        headers["X-FE-Content-SHA256"] = digest
        headers["X-FE-Model-Signature"] = "e30="
        headers["Content-Length"] = String(size)
        // A client that sends the headers and 4 MiB of the body, then waits.
        let script = """
            import http.client, json, ssl, sys, time
            c = http.client.HTTPSConnection("127.0.0.1", int(sys.argv[1]), context=ssl.create_default_context(cafile=sys.argv[2]))
            c.putrequest("PUT", sys.argv[3])
            for k, v in json.loads(sys.argv[4]).items():
                c.putheader(k, v)
            c.endheaders()
            c.send(bytes(4 << 20))
            time.sleep(60)
            """
        let client = Process()
        client.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        client.arguments = [
            "python3", "-c", script, String(s.port), s.certificate, path,
            String(decoding: try JSONSerialization.data(withJSONObject: headers), as: UTF8.self),
        ]
        client.standardError = FileHandle.nullDevice
        try client.run()
        defer { client.terminate() }
        let storage = s.directory.file("models")
        let staged = Date().addingTimeInterval(20)
        func stagingFiles() -> [String] {
            ((try? FileManager.default.contentsOfDirectory(atPath: storage)) ?? []).filter { $0.hasPrefix(".upload-") }
        }
        while stagingFiles().isEmpty, Date() < staged { Thread.sleep(forTimeInterval: 0.1) }
        XCTAssertEqual(stagingFiles().count, 1, "the upload is streaming into its staging file")
        kill(s.pid, SIGKILL)
        s.stop()
        XCTAssertEqual(stagingFiles().count, 1, "what a kill -9 leaves behind")

        let restarted = try TestServerOnPort(port: 0, like: s)
        restarted.stop()
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: storage), [], "removed at start")
        let check = try CommandRunner.run([
            "serve", "--check-storage", "--cert", s.certificate, "--key", s.directory.file("key.pem"), "--db", s.database,
            "--storage", storage,
        ])
        XCTAssertEqual(check.status, 0, check.stdout + check.stderr)
    }
}
