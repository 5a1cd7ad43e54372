import Foundation
import RemoteAuth
import RemoteClient
import StateStore
import TestSupport
import XCTest

/// The HTTPS server and client against each other for real: a server process on
/// 127.0.0.1 with a generated certificate, its own database, real tokens.
final class RemoteServerTests: XCTestCase {
    nonisolated(unsafe) static var shared: TestServer?

    static func server() throws -> TestServer {
        if let s = shared { return s }
        do {
            let s = try TestServer()
            shared = s
            return s
        } catch let e as TestServerError {
            throw XCTSkip("\(e)")
        }
    }

    override class func tearDown() {
        shared?.stop()
        shared = nil
    }

    func testConfigModelAndLogRoundTrips() throws {
        let s = try Self.server()
        let c = try s.client(s.operatorToken)
        let config = Data(#"{"epochs": 3, "window_size": 32}"#.utf8)
        let put = try c.send("POST", s.url("/v1/configs/round-trip"), body: config, idempotent: false)
        XCTAssertEqual(put.status, 201)
        let version = try XCTUnwrap((try JSONSerialization.jsonObject(with: put.body) as? [String: Any])?["version"] as? Int)
        let latest = try c.send("GET", s.url("/v1/configs/round-trip"), idempotent: true)
        XCTAssertEqual(latest.body, config)
        XCTAssertEqual(latest.header("X-FE-Content-SHA256"), RequestSigning.sha256Hex(config))
        XCTAssertEqual(try c.send("GET", s.url("/v1/configs/round-trip/versions/\(version)"), idempotent: true).body, config)

        let model = Data((0..<100_000).map { UInt8($0 % 251) })
        let headers = [
            "X-FE-Content-SHA256": RequestSigning.sha256Hex(model), "X-FE-Model-Signature": Data("{}".utf8).base64EncodedString(),
        ]
        XCTAssertEqual(
            try c.send("PUT", s.url("/v1/models/m/versions/1"), body: model, headers: headers, idempotent: true).status, 201)
        XCTAssertEqual(
            try c.send("PUT", s.url("/v1/models/m/versions/1"), body: model, headers: headers, idempotent: true).status, 201,
            "the same version and content again is an idempotent retry")
        let got = try c.send("GET", s.url("/v1/models/m/versions/1"), idempotent: true)
        XCTAssertEqual(got.body, model)
        XCTAssertTrue(
            FileManager.default.fileExists(atPath: s.directory.file("models/\(RequestSigning.sha256Hex(model))")),
            "content-addressed")
        var other = model
        other[0] ^= 1
        XCTAssertThrowsError(
            try c.send(
                "PUT", s.url("/v1/models/m/versions/1"), body: other,
                headers: ["X-FE-Content-SHA256": RequestSigning.sha256Hex(other), "X-FE-Model-Signature": "e30="],
                idempotent: true)
        ) {
            XCTAssertEqual(($0 as? RemoteError).map { if case .refused(409, _) = $0 { true } else { false } }, true, "\($0)")
        }

        XCTAssertEqual(
            try c.send("POST", s.url("/v1/logs"), body: Data(#"[{"event":"a"},{"event":"b"}]"#.utf8), idempotent: false).status,
            202)
        let store = try StateStore.open(path: s.database)
        XCTAssertTrue(try store.remoteLogEvents().contains(#"{"event":"b"}"#))
        let openAPI = try c.sendRaw("GET", s.url("/v1/openapi.yaml"), headers: [:])
        XCTAssertTrue(String(decoding: openAPI.body, as: UTF8.self).hasPrefix("openapi: 3"))
    }

    func testBadTokenAndWrongRoleAreRefusedAndAudited() throws {
        let s = try Self.server()
        XCTAssertThrowsError(
            try s.client("fe_00000000_" + String(repeating: "x", count: 43)).send("GET", s.url("/v1/configs/x"), idempotent: true)
        ) {
            guard case RemoteError.refused(401, _)? = $0 as? RemoteError else { return XCTFail("\($0)") }
        }
        XCTAssertThrowsError(
            try s.client(s.viewerToken).send("POST", s.url("/v1/configs/x"), body: Data("{}".utf8), idempotent: false)
        ) {
            guard case RemoteError.refused(403, let message)? = $0 as? RemoteError else { return XCTFail("\($0)") }
            XCTAssertTrue(message.contains("viewer"), message)
        }
        let store = try StateStore.open(path: s.database)
        let refusals = try store.entries(AuditFilter(action: "remote.request")).filter { $0.outcome != .success }
        XCTAssertTrue(refusals.contains { $0.actor == "http:viewer" }, "users acting over HTTP are named http:NAME")
        let unknown = try XCTUnwrap(refusals.last { $0.detailsDictionary["token_id"] == "00000000" })
        XCTAssertTrue(unknown.actor.hasPrefix("http:anonymous@"), unknown.actor)
        XCTAssertEqual(unknown.detailsDictionary["token_id"], "00000000", "a refusal names the token by its public id")
        XCTAssertEqual(unknown.detailsDictionary["reason"], "unknown token 00000000", "and says why")
    }

    /// The server caches only the proof of a token's secret: a regraded or disabled user
    /// and a revoked token take effect on the very next request.
    func testRoleChangesDisablingAndRevocationActOnTheNextRequest() throws {
        let s = try Self.server()
        let store = try StateStore.open(path: s.database)
        let name = "temp-\(UUID().uuidString.prefix(8).lowercased())"
        _ = try store.addUser(name: name, role: .operator, password: nil)
        let issued = try store.issueToken(for: name, label: "t", expiresAt: nil)
        let c = try s.client(issued.token)
        let log = #"[{"event":"x"}]"#
        XCTAssertEqual(answer(c, s, "POST", "/v1/logs", log).status, 202)
        try store.grant(name, role: .viewer)
        XCTAssertEqual(answer(c, s, "POST", "/v1/logs", log).status, 403, "a viewer may not write logs")
        try store.grant(name, role: .operator)
        XCTAssertEqual(answer(c, s, "POST", "/v1/logs", log).status, 202)
        try store.setDisabled(name, true)
        XCTAssertEqual(answer(c, s, "POST", "/v1/logs", log).status, 401, "a disabled user")
        try store.setDisabled(name, false)
        XCTAssertEqual(answer(c, s, "POST", "/v1/logs", log).status, 202)
        try store.revokeToken(id: issued.record.id)
        XCTAssertEqual(answer(c, s, "POST", "/v1/logs", log).status, 401, "a revoked token")
    }

    func testAdminManagesUsersAndTokensOverHTTPS() throws {
        let s = try Self.server()
        let store = try StateStore.open(path: s.database)
        let suffix = UUID().uuidString.prefix(8).lowercased()
        let adminName = "admin-\(suffix)", name = "svc-\(suffix)"
        _ = try store.addUser(name: adminName, role: .admin, password: nil)
        let admin = try s.client(try store.issueToken(for: adminName, label: "t", expiresAt: nil).token)
        XCTAssertEqual(answer(try s.client(s.operatorToken), s, "GET", "/v1/users").status, 403, "users are the admin's")

        XCTAssertEqual(answer(admin, s, "POST", "/v1/users", #"{"name": "\#(name)", "role": "operator"}"#).status, 201)
        XCTAssertEqual(answer(admin, s, "POST", "/v1/users", #"{"name": "\#(name)"}"#).status, 400, "the name is taken")
        let misspelt = answer(admin, s, "POST", "/v1/users", #"{"name": "x\#(suffix)", "password": "hunter2hunter2"}"#)
        XCTAssertEqual(misspelt.status, 400)
        XCTAssertTrue(misspelt.message.contains("unknown key 'password'"), misspelt.message)

        let issued = answer(admin, s, "POST", "/v1/users/\(name)/tokens", #"{"label": "ci", "expires_days": 30}"#)
        XCTAssertEqual(issued.status, 201, issued.message)
        let body = try XCTUnwrap(try JSONSerialization.jsonObject(with: issued.body) as? [String: Any])
        let token = try XCTUnwrap(body["token"] as? String), id = try XCTUnwrap(body["id"] as? String)
        let service = try s.client(token)
        let log = #"[{"event":"x"}]"#
        XCTAssertEqual(answer(service, s, "POST", "/v1/logs", log).status, 202, "the new token works")

        let tokens = answer(admin, s, "GET", "/v1/users/\(name)/tokens")
        XCTAssertEqual(tokens.status, 200)
        let listed = String(decoding: tokens.body, as: UTF8.self)
        XCTAssertTrue(listed.contains(id) && listed.contains("expires_at"), listed)
        XCTAssertFalse(listed.contains(token), "the secret is shown once, at issue")
        let users = try XCTUnwrap(
            try JSONSerialization.jsonObject(with: answer(admin, s, "GET", "/v1/users").body) as? [[String: Any]])
        XCTAssertEqual(users.first { $0["name"] as? String == name }?["role"] as? String, "operator")

        XCTAssertEqual(answer(admin, s, "PUT", "/v1/users/\(name)/role", #"{"role": "viewer"}"#).status, 200)
        XCTAssertEqual(answer(service, s, "POST", "/v1/logs", log).status, 403)
        XCTAssertEqual(answer(admin, s, "PUT", "/v1/users/\(name)/role", #"{"role": "root"}"#).status, 400)
        XCTAssertEqual(answer(admin, s, "PUT", "/v1/users/\(name)/role", #"{"role": "operator"}"#).status, 200)
        XCTAssertEqual(answer(admin, s, "PUT", "/v1/users/\(name)/disabled", #"{"disabled": true}"#).status, 200)
        XCTAssertEqual(answer(service, s, "POST", "/v1/logs", log).status, 401)
        XCTAssertEqual(answer(admin, s, "PUT", "/v1/users/\(name)/disabled", #"{"disabled": false}"#).status, 200)
        XCTAssertEqual(answer(service, s, "POST", "/v1/logs", log).status, 202)
        XCTAssertEqual(answer(admin, s, "POST", "/v1/tokens/\(id)/revoke").status, 200)
        XCTAssertEqual(answer(service, s, "POST", "/v1/logs", log).status, 401)
        XCTAssertEqual(answer(admin, s, "POST", "/v1/tokens/0000abcd/revoke").status, 404)
        XCTAssertEqual(answer(admin, s, "PUT", "/v1/users/nobody-\(suffix)/disabled", #"{"disabled": true}"#).status, 404)

        let document = String(decoding: try admin.sendRaw("GET", s.url("/v1/openapi.yaml"), headers: [:]).body, as: UTF8.self)
        for path in [
            "/v1/users:", "/v1/users/{name}/role:", "/v1/users/{name}/disabled:", "/v1/users/{name}/tokens:",
            "/v1/tokens/{id}/revoke:",
        ] {
            XCTAssertTrue(document.contains(path), "the OpenAPI document describes \(path)")
        }

        let entries = try store.entries(AuditFilter(actor: "http:" + adminName))
        let actions = Set(entries.map(\.action))
        XCTAssertTrue(
            actions.isSuperset(of: ["user.add", "token.issue", "user.grant", "user.disable", "user.enable", "token.revoke"]),
            "\(actions)")
        XCTAssertFalse(try store.entries().contains { $0.details.contains(token) }, "the token never reaches the audit log")
    }

    /// A request's status, body and error message; a refusal is an answer here, not a failure.
    private func answer(_ c: RemoteClient, _ s: TestServer, _ method: String, _ path: String, _ body: String? = nil)
        -> (status: Int, body: Data, message: String)
    {
        do {
            let r = try c.send(method, s.url(path), body: Data((body ?? "").utf8), idempotent: method == "GET" || method == "PUT")
            return (r.status, r.body, "")
        } catch RemoteError.refused(let status, let message) {
            return (status, Data(), message)
        } catch {
            XCTFail("\(method) \(path): \(error)")
            return (-1, Data(), "\(error)")
        }
    }

    /// Hand-signed requests, to attack the anti-replay rules.
    private func signed(
        _ s: TestServer, token: String, path: String, body: Data = Data(), method: String = "GET",
        timestamp: String = String(Int(Date().timeIntervalSince1970)), nonce: String = RequestSigning.newNonce(),
        signature: String? = nil, authority: String? = nil
    ) -> [String: String] {
        SignedHeaders.make(
            token: token, method: method, authority: authority ?? "127.0.0.1:\(s.port)", path: path, body: body,
            timestamp: timestamp, nonce: nonce, signature: signature)
    }

    func testReplayedStaleFutureAndBadlySignedRequestsAreRefused() throws {
        let s = try Self.server()
        let c = try s.client(s.operatorToken)
        _ = try c.send("POST", s.url("/v1/configs/replay"), body: Data("{}".utf8), idempotent: false)
        let path = "/v1/configs/replay"
        let headers = signed(s, token: s.operatorToken, path: path)
        XCTAssertEqual(try c.sendRaw("GET", s.url(path), headers: headers).status, 200)
        let replay = try c.sendRaw("GET", s.url(path), headers: headers)
        XCTAssertEqual(replay.status, 401)
        XCTAssertTrue(String(decoding: replay.body, as: UTF8.self).contains("replayed"))
        let now = Int(Date().timeIntervalSince1970)
        for stamp in [now - 1000, now + 1000] {
            let r = try c.sendRaw(
                "GET", s.url(path), headers: signed(s, token: s.operatorToken, path: path, timestamp: String(stamp)))
            XCTAssertEqual(r.status, 401)
            XCTAssertTrue(String(decoding: r.body, as: UTF8.self).contains("timestamp"))
        }
        let forged = try c.sendRaw(
            "GET", s.url(path),
            headers: signed(s, token: s.operatorToken, path: path, signature: String(repeating: "0", count: 128)))
        XCTAssertEqual(forged.status, 401)
        // A request signed for another server (captured there) is refused here, all else being right.
        for elsewhere in ["evil.example:443", "127.0.0.1:1"] {
            let r = try c.sendRaw(
                "GET", s.url(path), headers: signed(s, token: s.operatorToken, path: path, authority: elsewhere))
            XCTAssertEqual(r.status, 401, elsewhere)
            XCTAssertTrue(String(decoding: r.body, as: UTF8.self).contains("signed for another server"))
        }
        XCTAssertEqual(
            try c.sendRaw(
                "GET", s.url(path), headers: signed(s, token: s.operatorToken, path: path, authority: "localhost:\(s.port)")
            )
            .status, 200, "a loopback server answers to localhost too")
        // A signature for one path does not work for another.
        var moved = signed(s, token: s.operatorToken, path: "/v1/configs/other")
        moved[RequestSigning.nonceHeader] = RequestSigning.newNonce()
        XCTAssertEqual(try c.sendRaw("GET", s.url(path), headers: moved).status, 401)
    }

    func testResponsesAreBoundToTheRequest() throws {
        let s = try Self.server()
        let c = try s.client(s.operatorToken)
        _ = try c.send("POST", s.url("/v1/configs/bound"), body: Data("{}".utf8), idempotent: false)
        let nonce = RequestSigning.newNonce()
        let r = try c.sendRaw(
            "GET", s.url("/v1/configs/bound"), headers: signed(s, token: s.operatorToken, path: "/v1/configs/bound", nonce: nonce)
        )
        let key = RequestSigning.responseKey(token: s.operatorToken)
        let mac = try XCTUnwrap(r.header(RequestSigning.responseSignatureHeader))
        XCTAssertEqual(mac, RequestSigning.responseMAC(key: key, nonce: nonce, status: 200, body: r.body))
        XCTAssertNotEqual(
            mac, RequestSigning.responseMAC(key: key, nonce: RequestSigning.newNonce(), status: 200, body: r.body),
            "a response replayed to another request would not verify")
        XCTAssertNotEqual(
            mac, RequestSigning.responseMAC(key: key, nonce: nonce, status: 200, body: r.body + Data(" ".utf8)),
            "an altered body would not verify")
    }

    func testOversizedAndTruncatedUploadsAreRefused() throws {
        let s = try Self.server()
        let c = try s.client(s.operatorToken)
        let big = Data(repeating: 7, count: (1 << 20) + 10)
        XCTAssertThrowsError(try c.send("POST", s.url("/v1/configs/big"), body: big, idempotent: false)) {
            guard case RemoteError.refused(413, _)? = $0 as? RemoteError else { return XCTFail("\($0)") }
        }
        // Signed for the whole model, cut short on the way (a proxy, a dying client): the headers
        // verify, the body does not match the digest they claim.
        let model = Data(repeating: 1, count: 1000)
        let path = "/v1/models/t/versions/1"
        var headers = signed(s, token: s.operatorToken, path: path, body: model, method: "PUT")
        headers["X-FE-Content-SHA256"] = RequestSigning.sha256Hex(model)
        headers["X-FE-Model-Signature"] = "e30="
        let truncated = try c.sendRaw("PUT", s.url(path), headers: headers, body: model.prefix(500))
        XCTAssertEqual(truncated.status, 400)
        XCTAssertTrue(String(decoding: truncated.body, as: UTF8.self).contains("does not match"))
    }

    func testPlainHTTPAndCredentialsInURLsAreRefusedBeforeSending() throws {
        let s = try Self.server()
        let c = try s.client(s.operatorToken)
        XCTAssertThrowsError(try c.send("GET", "http://127.0.0.1:\(s.port)/v1/configs/x", idempotent: true)) {
            guard case RemoteError.insecureURL? = $0 as? RemoteError else { return XCTFail("\($0)") }
        }
        XCTAssertThrowsError(try c.send("GET", "https://bob:secret@127.0.0.1:\(s.port)/v1/configs/x", idempotent: true)) {
            error in
            guard case RemoteError.credentialsInURL? = error as? RemoteError else { return XCTFail("\(error)") }
            XCTAssertFalse("\(error)".contains("secret"), "\(error)")
        }
    }

    func testRateLimitStormIsRidenOutWithRetryAfterOrGivenUpClearly() throws {
        let slow = try TestServer(rate: 2)  // burst 4, then 2 requests per second
        defer { slow.stop() }
        let retries = EventLog()
        let c = try slow.client(slow.operatorToken) {
            $0.maxAttempts = 8; $0.deadline = 20
        }
        c.onRetry = { n, why in retries.append("\(n) \(why)") }
        _ = try c.send("POST", slow.url("/v1/configs/storm"), body: Data("{}".utf8), idempotent: false)
        for _ in 0..<8 { XCTAssertEqual(try c.send("GET", slow.url("/v1/configs/storm"), idempotent: true).status, 200) }
        XCTAssertTrue(retries.all.contains { $0.contains("429") }, "the storm was met with 429s and retries: \(retries.all)")
        let impatient = try slow.client(slow.operatorToken) {
            $0.maxAttempts = 2; $0.deadline = 0.5
        }
        var gaveUp = false
        for _ in 0..<10 {
            do { _ = try impatient.send("GET", slow.url("/v1/configs/storm"), idempotent: true) } catch RemoteError.gaveUp(
                _, let last)
            {
                XCTAssertTrue(last.contains("429"), last)
                gaveUp = true
                break
            }
        }
        XCTAssertTrue(gaveUp, "a client with a tight deadline gives up with a clear reason")
    }

    func testBoundedLoadOnlyEverRefusesWith429() throws {
        let s = try Self.server()
        let clients = 8, requests = 25
        let statuses = EventLog()
        _ = try s.client(s.operatorToken).send("POST", s.url("/v1/configs/load"), body: Data("{}".utf8), idempotent: false)
        DispatchQueue.concurrentPerform(iterations: clients) { _ in
            guard let c = try? s.client(s.operatorToken, configure: { $0.maxAttempts = 1 }) else {
                statuses.append("client"); return
            }
            for _ in 0..<requests {
                do {
                    statuses.append(String(try c.send("GET", s.url("/v1/configs/load"), idempotent: true).status))
                } catch RemoteError.gaveUp(_, let last) {
                    statuses.append(last)
                } catch {
                    statuses.append("error \(error)")
                }
            }
        }
        XCTAssertEqual(statuses.all.count, clients * requests)
        let unexpected = statuses.all.filter { $0 != "200" && $0 != "HTTP 429" }
        XCTAssertEqual(unexpected, [], "the server held: every answer was a success or a 429")
    }
}
