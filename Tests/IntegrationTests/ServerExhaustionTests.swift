import Foundation
import RemoteAuth
import RemoteClient
import StateStore
import TestSupport
import XCTest

/// The server's resources under a hostile client (findings 2, 3 and 4 of the remote hardening):
/// idle connections, uploads with bogus signatures, made-up tokens. Each test attacks for real
/// over TLS on loopback; the attacker's sockets come from 127.0.0.2, so the per-address limits
/// it trips are its own and the legitimate client (127.0.0.1) is measured beside it.
final class ServerExhaustionTests: XCTestCase {
    private func server(_ extra: [String] = []) throws -> TestServer {
        do { return try TestServer(extraArguments: extra) } catch let e as TestServerError { throw XCTSkip("\(e)") }
    }

    /// Finding 2: 64 idle TCP connections (no TLS handshake) locked every client out for 150 s.
    func testIdleConnectionsAreCappedPerAddressAndClosedByTheHeadTimeout() throws {
        let s = try server(["--head-timeout", "2", "--max-connections-per-address", "8", "--max-connections", "64"])
        defer { s.stop() }
        let idle = (0..<64).compactMap { _ in RawSocket.connect(port: s.port, from: "127.0.0.2") }
        XCTAssertEqual(idle.count, 64, "the attacker's connections were accepted by the kernel")
        defer { idle.forEach { $0.close() } }
        Thread.sleep(forTimeInterval: 0.3)
        let c = try s.client(s.operatorToken) {
            $0.maxAttempts = 1; $0.deadline = 5
        }
        let started = Date()
        XCTAssertEqual(
            try c.send("POST", s.url("/v1/logs"), body: Data(#"[{"event":"x"}]"#.utf8), idempotent: false).status, 202,
            "a legitimate client is served while 64 idle connections are held")
        XCTAssertLessThan(Date().timeIntervalSince(started), 3)
        // The server closes what it did not refuse at once within the head timeout.
        let deadline = Date().addingTimeInterval(6)
        var open = idle
        while !open.isEmpty, Date() < deadline {
            open.removeAll { $0.isClosedByPeer() }
            Thread.sleep(forTimeInterval: 0.2)
        }
        XCTAssertEqual(open.count, 0, "every idle connection was closed by the server")
        s.stop()  // flushes the aggregated connection entries
        let entries = try StateStore.open(path: s.database).entries(AuditFilter(action: "remote.connection"))
        let byReason = Dictionary(grouping: entries, by: \.target)
        XCTAssertTrue(byReason.keys.contains { $0.contains("per-address connection cap") }, "\(byReason.keys)")
        XCTAssertTrue(byReason.keys.contains { $0.contains("head timeout") }, "\(byReason.keys)")
        let counted = entries.compactMap { Int($0.detailsDictionary["count"] ?? "") }.reduce(0, +)
        XCTAssertEqual(
            counted, 64,
            "each dropped connection is counted once, in a few aggregated entries: \(entries.map { ($0.target, $0.details) })")
        XCTAssertTrue(entries.allSatisfy { $0.detailsDictionary["address"] == "127.0.0.2" })
    }

    /// Finding 3: uploads with a bogus signature were buffered (and copied) before being refused.
    /// Now the headers' signature is checked first and the body is never read.
    func testAnUploadWithABadSignatureIsRefusedBeforeItsBodyIsRead() throws {
        let s = try server()
        defer { s.stop() }
        let body = Data(repeating: 7, count: 48 << 20)
        let digest = RequestSigning.sha256Hex(body)
        let path = "/v1/models/bogus/versions/1"
        let before = try Self.residentMegabytes(s.pid)
        let c = try s.client(s.operatorToken)
        for _ in 0..<4 {
            var headers = SignedHeaders.make(
                token: s.operatorToken, method: "PUT", authority: "127.0.0.1:\(s.port)", path: path, bodySHA256: digest,
                signature: String(repeating: "0", count: 128))
            headers["X-FE-Content-SHA256"] = digest
            headers["X-FE-Model-Signature"] = "e30="
            // The answer comes from the headers alone; the client reads it while still sending.
            let r = try c.sendRaw("PUT", s.url(path), headers: headers, body: body)
            XCTAssertEqual(r.status, 401)
            XCTAssertTrue(String(decoding: r.body, as: UTF8.self).contains("bad request signature"))
        }
        let after = try Self.residentMegabytes(s.pid)
        XCTAssertLessThan(after - before, 48, "no upload body was buffered: \(before) MB -> \(after) MB")
        let staged = (try? FileManager.default.contentsOfDirectory(atPath: s.directory.file("models"))) ?? []
        XCTAssertEqual(staged, [], "nothing was staged or stored")
        let refusals = try StateStore.open(path: s.database).entries(AuditFilter(action: "remote.request"))
            .filter { $0.target == "PUT \(path)" }
        XCTAssertEqual(refusals.count, 4)
        XCTAssertTrue(refusals.allSatisfy { $0.details.contains("bad request signature") })
    }

    /// Finding 3 and 7: a body that does not match its digest, and a 409, leave no file behind.
    func testRefusedUploadsLeaveNothingInStorage() throws {
        let s = try server()
        defer { s.stop() }
        let c = try s.client(s.operatorToken)
        let model = Data((0..<300_000).map { UInt8($0 % 249) })
        var other = model
        other[5] ^= 0xff
        func put(_ body: Data, digest: String) throws -> Int {
            do {
                return try c.send(
                    "PUT", s.url("/v1/models/m/versions/1"), body: body,
                    headers: ["X-FE-Content-SHA256": digest, "X-FE-Model-Signature": "e30="], idempotent: true
                ).status
            } catch RemoteError.refused(let status, _) {
                return status
            }
        }
        // Signed for `other`, but `model` is sent: the headers verify, the body does not match.
        let path = "/v1/models/m/versions/1"
        var headers = SignedHeaders.make(
            token: s.operatorToken, method: "PUT", authority: "127.0.0.1:\(s.port)", path: path, body: other)
        headers["X-FE-Content-SHA256"] = RequestSigning.sha256Hex(other)
        headers["X-FE-Model-Signature"] = "e30="
        let mismatched = try c.sendRaw("PUT", s.url(path), headers: headers, body: model)
        XCTAssertEqual(mismatched.status, 400, "a body that does not match its digest")
        XCTAssertEqual(try put(model, digest: RequestSigning.sha256Hex(model)), 201)
        XCTAssertEqual(try put(other, digest: RequestSigning.sha256Hex(other)), 409, "the version exists with other content")
        let files = (try? FileManager.default.contentsOfDirectory(atPath: s.directory.file("models"))) ?? []
        XCTAssertEqual(files, [RequestSigning.sha256Hex(model)], "only the accepted content is stored")
    }

    /// Finding 4: made-up tokens cost a slow hash each. Now no request costs a slow hash (a
    /// signature is checked against a public key), failures are budgeted per address, and a client
    /// whose requests are signed is not locked out.
    func testMadeUpTokensAreBudgetedPerAddressAndDoNotLockOutAProvenClient() throws {
        let s = try server()
        defer { s.stop() }
        let legit = try s.client(s.operatorToken) { $0.maxAttempts = 1 }
        let log = Data(#"[{"event":"x"}]"#.utf8)
        XCTAssertEqual(try legit.send("POST", s.url("/v1/logs"), body: log, idempotent: false).status, 202)
        var statuses: [Int] = []
        for i in 0..<30 {
            let made = "fe_\(String(format: "%08x", 0x1000_0000 + i))_" + String(repeating: "A", count: 43)
            do {
                _ = try s.client(made) { $0.maxAttempts = 1 }.send("GET", s.url("/v1/configs/x"), idempotent: true)
            } catch RemoteError.refused(let status, _) {
                statuses.append(status)
            } catch RemoteError.gaveUp(_, let last) {
                statuses.append(last == "HTTP 429" ? 429 : -1)
            }
        }
        XCTAssertEqual(statuses.filter { $0 == 401 }.count, 20, "the budget's burst: \(statuses)")
        XCTAssertEqual(statuses.filter { $0 == 429 }.count, 10, "then the address is told to wait: \(statuses)")
        XCTAssertEqual(
            try legit.send("POST", s.url("/v1/logs"), body: log, idempotent: false).status, 202,
            "a signing client from the same address still works")
        let entries = try StateStore.open(path: s.database).entries(AuditFilter(action: "remote.request"))
        XCTAssertTrue(entries.contains { $0.detailsDictionary["reason"] == "unknown token 10000000" })
        XCTAssertTrue(
            entries.contains { $0.detailsDictionary["token_id"] == "1000001d" && $0.detailsDictionary["status"] == "429" })
    }

    /// A download read at 1 byte a second (or not at all) held its connection for as long as
    /// the client liked. Now the answer must be read within the send timeout, or the server
    /// closes the connection (audited), while a normal reader gets the whole model beside it.
    func testASlowReaderLosesItsConnectionAtTheSendTimeout() throws {
        let sendTimeout = 4.0
        let s = try server(["--send-timeout", String(sendTimeout), "--head-timeout", "30"])
        defer { s.stop() }
        let c = try s.client(s.operatorToken)
        let model = Data((0..<(32 << 20)).map { UInt8(truncatingIfNeeded: $0 &* 31) })
        let path = "/v1/models/big/versions/1"
        XCTAssertEqual(
            try c.send(
                "PUT", s.url(path), body: model,
                headers: ["X-FE-Content-SHA256": RequestSigning.sha256Hex(model), "X-FE-Model-Signature": "e30="],
                idempotent: true
            ).status, 201)
        let script = """
            import json, socket, ssl, sys, time
            port, ca, path, headers, rate = int(sys.argv[1]), sys.argv[2], sys.argv[3], json.loads(sys.argv[4]), float(sys.argv[5])
            raw = socket.socket()
            raw.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            raw.connect(("127.0.0.1", port))
            print(raw.getsockname()[1], flush=True)
            s = ssl.create_default_context(cafile=ca).wrap_socket(raw, server_hostname="127.0.0.1")
            head = "GET %s HTTP/1.1\\r\\nHost: 127.0.0.1:%d\\r\\n" % (path, port)
            s.sendall((head + "".join("%s: %s\\r\\n" % kv for kv in headers.items()) + "\\r\\n").encode())
            while True:
                if rate > 0:
                    s.recv(1)
                time.sleep(1)
            """
        var readers: [(Process, Int)] = []
        for rate in ["1", "0"] {
            let headers = SignedHeaders.make(token: s.operatorToken, authority: "127.0.0.1:\(s.port)", path: path)
            let p = Process()
            p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            p.arguments = [
                "python3", "-c", script, String(s.port), s.certificate, path,
                String(decoding: try JSONSerialization.data(withJSONObject: headers), as: UTF8.self), rate,
            ]
            let out = Pipe()
            p.standardOutput = out
            FileManager.default.createFile(atPath: s.directory.file("reader-\(rate).err"), contents: nil)
            p.standardError = FileHandle(forWritingAtPath: s.directory.file("reader-\(rate).err"))
            try p.run()
            let line = String(decoding: out.fileHandleForReading.availableData, as: UTF8.self)
            readers.append((p, try XCTUnwrap(Int(line.trimmingCharacters(in: .whitespacesAndNewlines)), line)))
        }
        defer { readers.forEach { $0.0.terminate() } }
        let started = Date()
        func held() -> Int { readers.filter { Self.serverHolds(port: s.port, peer: $0.1) }.count }
        while held() < 2, Date().timeIntervalSince(started) < sendTimeout / 2 { Thread.sleep(forTimeInterval: 0.1) }
        XCTAssertEqual(
            held(), 2,
            "both readers hold a connection at first: "
                + ["1", "0"].map { (try? String(contentsOfFile: s.directory.file("reader-\($0).err"), encoding: .utf8)) ?? "" }
                .joined())
        let download = try c.send("GET", s.url(path), idempotent: true)
        XCTAssertEqual(download.body, model, "a normal reader gets the whole model beside them")
        while readers.contains(where: { Self.serverHolds(port: s.port, peer: $0.1) }), Date().timeIntervalSince(started) < 30 {
            Thread.sleep(forTimeInterval: 0.2)
        }
        let held = Date().timeIntervalSince(started)
        XCTAssertFalse(readers.contains { Self.serverHolds(port: s.port, peer: $0.1) }, "the server let go of both")
        XCTAssertGreaterThanOrEqual(held, sendTimeout - 0.5, "not before the send timeout")
        XCTAssertLessThan(held, sendTimeout + 10)
        s.stop()  // flushes the aggregated connection entries
        let entries = try StateStore.open(path: s.database).entries(AuditFilter(action: "remote.connection"))
        let slow = entries.filter { $0.target.contains("send timeout") }
        XCTAssertEqual(
            slow.compactMap { Int($0.detailsDictionary["count"] ?? "") }.reduce(0, +), 2, "\(entries.map(\.target))")
    }

    /// Whether the server still has the connection from local port `peer` open (a socket with an
    /// inode in /proc/net/tcp; one the server closed is gone or orphaned, inode 0).
    private static func serverHolds(port: Int, peer: Int) -> Bool {
        // Read to its end: procfs files report no size, and the table is long on a busy machine.
        let data = FileHandle(forReadingAtPath: "/proc/net/tcp")?.readDataToEndOfFile() ?? Data()
        let table = String(decoding: data, as: UTF8.self)
        let local = String(format: ":%04X", port), remote = String(format: ":%04X", peer)
        return table.split(separator: "\n").contains { line in
            let f = line.split(separator: " ")
            return f.count > 9 && f[1].hasSuffix(local) && f[2].hasSuffix(remote) && f[9] != "0"
        }
    }

    private static func residentMegabytes(_ pid: Int32) throws -> Int {
        let status = try String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)
        let line = status.split(separator: "\n").first { $0.hasPrefix("VmRSS:") } ?? ""
        return (Int(line.split(separator: " ").dropFirst().first ?? "") ?? 0) / 1024
    }
}

/// A plain TCP connection from a chosen loopback address that never speaks: the idle attacker.
struct RawSocket {
    let fd: Int32

    static func connect(port: Int, from source: String) -> RawSocket? {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return nil }
        var local = sockaddr_in()
        local.sin_family = sa_family_t(AF_INET)
        inet_pton(AF_INET, source, &local.sin_addr)
        var remote = sockaddr_in()
        remote.sin_family = sa_family_t(AF_INET)
        remote.sin_port = in_port_t(UInt16(port).bigEndian)
        inet_pton(AF_INET, "127.0.0.1", &remote.sin_addr)
        let ok =
            withUnsafePointer(to: &local) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            } == 0
            && withUnsafePointer(to: &remote) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                }
            } == 0
        guard ok else {
            Glibc.close(fd)
            return nil
        }
        return RawSocket(fd: fd)
    }

    /// True once the server has closed its end (a read returns end of file or an error).
    func isClosedByPeer() -> Bool {
        var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        guard poll(&p, 1, 0) > 0 else { return false }
        var byte: UInt8 = 0
        return recv(fd, &byte, 1, Int32(MSG_DONTWAIT)) <= 0
    }

    func close() { Glibc.close(fd) }
}
