import Foundation
import RemoteAuth
import RemoteClient
import StateStore
import TestSupport
import XCTest

/// Finding 1 of the remote hardening: the token's secret travelled on every request. Now a token
/// is an Ed25519 key pair, requests carry its id and a signature, and the server keeps the public
/// half. Each test attacks a real server over TLS on loopback.
final class SignedTokenTests: XCTestCase {
    private func server() throws -> TestServer {
        do { return try TestServer() } catch let e as TestServerError { throw XCTSkip("\(e)") }
    }

    private func body(_ r: RemoteResponse) -> String { String(decoding: r.body, as: UTF8.self) }

    /// Every byte of the database, its WAL and its key: no private key, as text or raw bytes, and
    /// no stored value signs a request the server accepts (tried as a private key, in the old
    /// bearer scheme, and as the old HMAC key).
    func testTheServersDatabaseHoldsNothingThatSigns() throws {
        let s = try server()
        defer { s.stop() }
        let c = try s.client(s.operatorToken)
        XCTAssertEqual(try c.send("POST", s.url("/v1/logs"), body: Data(#"[{"event":"x"}]"#.utf8), idempotent: false).status, 202)
        let token = try XCTUnwrap(APITokenText(parsing: s.operatorToken))
        let seed = try XCTUnwrap(token.signingKey?.rawRepresentation)
        let files = try FileManager.default.contentsOfDirectory(atPath: s.directory.path).filter { $0.hasPrefix("server.sqlite") }
        XCTAssertTrue(files.contains("server.sqlite-wal"), "checked while the WAL is in use: \(files)")
        for name in files {
            let bytes = try Data(contentsOf: URL(fileURLWithPath: s.directory.file(name)))
            XCTAssertNil(bytes.range(of: seed), "\(name) holds the private key's bytes")
            for text in [s.operatorToken, token.secret] {
                XCTAssertNil(bytes.range(of: Data(text.utf8)), "\(name) holds the private key as text")
            }
        }
        // What the server stores of the token, each tried as a signing key.
        let stored = try Self.sqlite(
            s.database, "SELECT hex(publicKey) || ' ' || hex(responseKey) FROM apiToken WHERE id = '\(token.id)'")
        let values = stored.split(separator: " ").compactMap { Self.bytes(hex: String($0)) }
        XCTAssertEqual(values.count, 2, stored)
        let path = "/v1/configs/x"
        for value in values {
            XCTAssertNotEqual(value, seed)
            let forgedText =
                "fe_\(token.id)_"
                + value.base64EncodedString().replacingOccurrences(of: "+", with: "-")
                .replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
            let forged = SignedHeaders.make(token: forgedText, authority: "127.0.0.1:\(s.port)", path: path)
            XCTAssertEqual(try c.sendRaw("GET", s.url(path), headers: forged).status, 401, "a stored value signs nothing")
            // The previous release's scheme (the token on the wire, an HMAC) is refused outright.
            var bearer = SignedHeaders.make(
                token: forgedText, authority: "127.0.0.1:\(s.port)", path: path,
                signature: String(repeating: "ab", count: 32))
            bearer["Authorization"] = "Bearer \(forgedText)"
            let r = try c.sendRaw("GET", s.url(path), headers: bearer)
            XCTAssertEqual(r.status, 401)
            XCTAssertTrue(body(r).contains("bearer tokens are no longer accepted"), body(r))
        }
    }

    /// The right token id, signed by another key: refused, and audited with the reason.
    func testARequestSignedByAnotherKeyForTheSameTokenIDIsRefused() throws {
        let s = try server()
        defer { s.stop() }
        let id = try XCTUnwrap(APITokenText(parsing: s.operatorToken)).id
        let impostor = APITokenText(id: id, secret: APITokenText.random().secret).text
        let c = try s.client(impostor) { $0.maxAttempts = 1 }
        XCTAssertThrowsError(try c.send("GET", s.url("/v1/configs/x"), idempotent: true)) { error in
            guard case RemoteError.refused(401, let message)? = error as? RemoteError else { return XCTFail("\(error)") }
            XCTAssertTrue(message.contains("bad request signature"), message)
        }
        let entries = try StateStore.open(path: s.database).entries(AuditFilter(action: "remote.request"))
        let refusal = try XCTUnwrap(entries.last)
        XCTAssertEqual(refusal.detailsDictionary["token_id"], id)
        XCTAssertTrue(refusal.detailsDictionary["reason"]?.contains("by another key) for token \(id)") == true, refusal.details)
    }

    /// A request captured by another server (the same CA vouches for both) and replayed here is
    /// refused, though the other server would have accepted it.
    func testACapturedRequestReplayedToAnotherHostPortIsRefused() throws {
        let s = try server()
        defer { s.stop() }
        let other = try TestServerOnPort(port: 0, like: s)
        defer { other.stop() }
        let c = try s.client(s.operatorToken)
        _ = try c.send("POST", s.url("/v1/configs/x"), body: Data("{}".utf8), idempotent: false)
        let path = "/v1/configs/x"
        let meantForOther = SignedHeaders.make(token: s.operatorToken, authority: "127.0.0.1:\(other.port)", path: path)
        let replayed = try c.sendRaw("GET", s.url(path), headers: meantForOther)
        XCTAssertEqual(replayed.status, 401)
        XCTAssertTrue(body(replayed).contains("signed for another server"), body(replayed))
        XCTAssertEqual(
            try c.sendRaw("GET", "https://127.0.0.1:\(other.port)\(path)", headers: meantForOther).status, 200,
            "the same request is good where it was meant to go")
    }

    /// Each part the signature covers, changed after signing: refused.
    func testTamperedMethodBodyPathQueryAndTimestampAreRefused() throws {
        let s = try server()
        defer { s.stop() }
        let c = try s.client(s.operatorToken)
        let authority = "127.0.0.1:\(s.port)"
        let original = Data(#"{"epochs": 3}"#.utf8)
        func post(_ headers: [String: String], _ path: String, _ data: Data) throws -> RemoteResponse {
            try c.sendRaw(
                "POST", s.url(path), headers: headers.merging(["Content-Type": "application/json"]) { a, _ in a }, body: data)
        }
        let signed = {
            SignedHeaders.make(
                token: s.operatorToken, method: "POST", authority: authority, path: "/v1/configs/t", body: original)
        }
        XCTAssertEqual(try post(signed(), "/v1/configs/t", original).status, 201, "the untouched request is accepted")
        XCTAssertEqual(try post(signed(), "/v1/configs/t", Data(#"{"epochs": 4}"#.utf8)).status, 401, "body")
        XCTAssertEqual(try post(signed(), "/v1/configs/u", original).status, 401, "path")
        XCTAssertEqual(try post(signed(), "/v1/configs/t?x=1", original).status, 401, "query")
        var stamp = signed()
        stamp[RequestSigning.timestampHeader] = String(Int(stamp[RequestSigning.timestampHeader]!)! - 1)
        XCTAssertEqual(try post(stamp, "/v1/configs/t", original).status, 401, "timestamp, within the window")
        let get = SignedHeaders.make(token: s.operatorToken, authority: authority, path: "/v1/configs/t")
        XCTAssertEqual(try c.sendRaw("POST", s.url("/v1/configs/t"), headers: get).status, 401, "method")
        XCTAssertEqual(try c.sendRaw("GET", s.url("/v1/configs/t"), headers: get).status, 200, "that one untouched")
    }

    /// A token issued before key pairs: a signature by its old secret (as a key) is refused with
    /// what to do; audited with the same reason.
    func testLegacyTokensAreRefusedWithReissue() throws {
        let s = try server()
        defer { s.stop() }
        let legacy = APITokenText.random()
        _ = try Self.sqlite(
            s.database,
            "INSERT INTO apiToken (id, userID, label, createdAt, revoked) VALUES ('\(legacy.id)', 1, 'old', '2025-01-02T03:04:05.000Z', 0)"
        )
        let c = try s.client(legacy.text) { $0.maxAttempts = 1 }
        XCTAssertThrowsError(try c.send("GET", s.url("/v1/configs/x"), idempotent: true)) { error in
            guard case RemoteError.refused(401, let message)? = error as? RemoteError else { return XCTFail("\(error)") }
            XCTAssertTrue(message.contains("re-issue it (feature-extractor user token NAME)"), message)
            XCTAssertFalse("\(error)".contains(legacy.secret))
        }
        let refusal = try XCTUnwrap(try StateStore.open(path: s.database).entries(AuditFilter(action: "remote.request")).last)
        XCTAssertEqual(refusal.detailsDictionary["reason"], StateStore.legacyTokenReason(legacy.id))
        XCTAssertEqual(refusal.outcome, .refused)
    }

    /// Refusals of every kind, then the audit log, the client's errors and the database: the
    /// private key is in none of them.
    func testThePrivateKeyAppearsInNoErrorLogOrAuditText() throws {
        let s = try server()
        defer { s.stop() }
        let token = try XCTUnwrap(APITokenText(parsing: s.viewerToken))
        var errors: [String] = []
        let viewer = try s.client(s.viewerToken) { $0.maxAttempts = 1 }
        for (method, path) in [("POST", "/v1/configs/x"), ("GET", "/v1/nothing"), ("GET", "/v1/configs/none")] {
            do { _ = try viewer.send(method, s.url(path), body: Data("{}".utf8), idempotent: false) } catch {
                errors.append("\(error)")
            }
        }
        do { _ = try RemoteClient(token: s.viewerToken + "x") } catch { errors.append("\(error)") }
        var bearer = SignedHeaders.make(token: s.viewerToken, authority: "127.0.0.1:\(s.port)", path: "/v1/configs/x")
        bearer["Authorization"] = "Bearer \(s.viewerToken)"
        errors.append(body(try viewer.sendRaw("GET", s.url("/v1/configs/x"), headers: bearer)))
        XCTAssertEqual(errors.count, 5, "\(errors)")
        let audit = try StateStore.open(path: s.database).entries(AuditFilter())
            .map { "\($0.actor) \($0.target) \($0.details)" }.joined(separator: "\n")
        XCTAssertTrue(audit.contains(token.id), "the refusals are audited by token id")
        for text in errors + [audit] {
            XCTAssertFalse(text.contains(token.secret), text)
        }
    }

    /// Runs one SQL statement with Python's sqlite3 (the test targets do not link GRDB).
    private static func sqlite(_ database: String, _ sql: String) throws -> String {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = [
            "python3", "-c",
            "import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); r=c.execute(sys.argv[2]).fetchall(); c.commit(); print(r[0][0] if r else '')",
            database, sql,
        ]
        let out = Pipe()
        p.standardOutput = out
        try p.run()
        p.waitUntilExit()
        guard p.terminationStatus == 0 else { throw TestServerError.missing("python3 sqlite3 failed on \(sql)") }
        return String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            .trimmingCharacters(in: .whitespacesAndNewlines)
    }

    private static func bytes(hex: String) -> Data? {
        let digits = Array(hex.utf8)
        guard digits.count == 64 else { return nil }
        return Data(
            stride(from: 0, to: 64, by: 2).compactMap { UInt8(String(decoding: digits[$0..<$0 + 2], as: UTF8.self), radix: 16) })
    }
}
