import Foundation
import GRDB
import RemoteAuth
import XCTest

@testable import StateStore

/// Every slow hash (passwords) costs a good part of a second, so each test hashes only a few
/// times; tokens are key pairs and cost no slow hash.
final class StateStoreAuthenticationTests: XCTestCase {
    func testPasswordsVerifyAndEveryFailureLooksTheSame() throws {
        let directory = try StateStoreTestDirectory()
        let store = try StateStore.open(path: directory.file())
        let alice = try store.addUser(name: "alice", role: .operator, password: "correct horse battery")
        XCTAssertEqual(try store.authenticate(user: "alice", password: "correct horse battery"), alice)
        assertStoreError(try store.authenticate(user: "alice", password: "correct horse batterx"), .authenticationFailed)
        assertStoreError(try store.authenticate(user: "nobody", password: "correct horse battery"), .authenticationFailed)
        XCTAssertEqual(store.authenticateWithReason(user: "nobody", password: "x").reason, "unknown user 'nobody'")
        try store.setDisabled("alice", true)
        let refused = store.authenticateWithReason(user: "alice", password: "correct horse battery")
        XCTAssertNil(refused.user)
        XCTAssertEqual(refused.reason, "user 'alice' is disabled")
        XCTAssertEqual(StoreError.authenticationFailed.description, "authentication failed")
    }

    func testTokensVerifyAndEveryFailureLooksTheSame() throws {
        let directory = try StateStoreTestDirectory()
        let clock = StateStoreTestClock()
        let store = try StateStore.open(path: directory.file(), busyTimeout: 5, now: clock.now)
        let bob = try store.addUser(name: "bob", role: .viewer, password: nil)
        let (token, record) = try store.issueToken(for: "bob", label: "CI", expiresAt: clock.date.addingTimeInterval(3600))
        XCTAssertNotNil(token.wholeMatch(of: /fe_[0-9a-f]{8}_[A-Za-z0-9_-]{43}/), token)
        XCTAssertEqual(token.dropFirst(3).prefix(8), Substring(record.id))
        XCTAssertEqual(try store.tokens(for: "bob"), [record])

        XCTAssertEqual(try store.authenticate(token: token), bob)
        XCTAssertEqual(store.authenticateWithReason(token: token).reason, "token \(record.id) of user 'bob'")

        // Another key for the same id: the secret's first character changed (its last carries padding bits).
        let first = token.dropFirst(12).prefix(1)
        let wrongSecret = String(token.prefix(12)) + (first == "A" ? "B" : "A") + String(token.dropFirst(13))
        let unknownID = "fe_" + (record.id == "00000000" ? "00000001" : "00000000") + token.dropFirst(11)
        let cases: [(String, String)] = [
            (wrongSecret, "wrong key for token \(record.id)"),
            (unknownID, "unknown token"),
            ("fe_1234", "malformed token"),
            (" " + token, "malformed token"),
        ]
        for (text, reason) in cases {
            assertStoreError(try store.authenticate(token: text), .authenticationFailed)
            let result = store.authenticateWithReason(token: text)
            XCTAssertNil(result.user)
            XCTAssertTrue(result.reason.hasPrefix(reason), result.reason)
            XCTAssertFalse(result.reason.contains(String(token.suffix(43))), "the secret must never appear in a reason")
        }

        clock.advance(by: 3601)
        let expired = store.authenticateWithReason(token: token)
        XCTAssertNil(expired.user)
        XCTAssertTrue(expired.reason.contains("expired"), expired.reason)
        assertStoreError(try store.authenticate(token: token), .authenticationFailed)
    }

    func testRevokedTokensAndDisabledUsersFail() throws {
        let directory = try StateStoreTestDirectory()
        let store = try StateStore.open(path: directory.file())
        _ = try store.addUser(name: "carol", role: .admin, password: nil)
        let (token, record) = try store.issueToken(for: "carol", label: "laptop", expiresAt: nil)
        try store.setDisabled("carol", true)
        XCTAssertEqual(store.authenticateWithReason(token: token).reason, "user 'carol' is disabled (token \(record.id))")
        assertStoreError(try store.authenticate(token: token), .authenticationFailed)
        try store.setDisabled("carol", false)
        try store.revokeToken(id: record.id)
        XCTAssertEqual(try store.tokens(for: "carol").map(\.revoked), [true])
        XCTAssertEqual(store.authenticateWithReason(token: token).reason, "token \(record.id) is revoked")
        assertStoreError(try store.authenticate(token: token), .authenticationFailed)
    }

    /// The token text, its private key (as text and as the 32 raw bytes) and the password must
    /// exist nowhere in the files, whatever SQLite did with pages, the WAL or free space: checked
    /// while the store is open (WAL in use) and after it closed (WAL checkpointed into the database).
    func testNoPlaintextSecretReachesTheFiles() throws {
        let directory = try StateStoreTestDirectory()
        let password = "Tr0ub4dor&3-unique-password"
        var token = ""
        func assertNoSecretInFiles(expecting expected: Set<String>) throws {
            let files = Set(try FileManager.default.contentsOfDirectory(atPath: directory.path))
            XCTAssertTrue(files.isSuperset(of: expected), "\(files)")
            for name in files {
                let bytes = try Data(contentsOf: URL(fileURLWithPath: directory.file(name)))
                for needle in [token, String(token.suffix(43)), password] {
                    XCTAssertNil(bytes.range(of: Data(needle.utf8)), "\(name) contains a secret in plain text")
                }
                let seed = try XCTUnwrap(APITokenText(parsing: token)?.signingKey?.rawRepresentation)
                XCTAssertNil(bytes.range(of: seed), "\(name) contains the token's private key")
            }
        }
        do {
            let store = try StateStore.open(path: directory.file())
            _ = try store.addUser(name: "dave", role: .operator, password: password)
            token = try store.issueToken(for: "dave", label: "build", expiresAt: nil).token
            try store.append(
                AuditEvent(
                    actor: "dave", action: "auth.token", outcome: .success,
                    details: ["token": String(token.prefix(11))]))
            try assertNoSecretInFiles(expecting: ["store.sqlite", "store.sqlite-wal", "store.sqlite.key"])
        }
        try assertNoSecretInFiles(expecting: ["store.sqlite"])
        // The password's stored form is a self-describing slow hash; the token's is its public key.
        let stored = try StateStoreTestSupport.rawConnection(directory.file()).read { db in
            (
                try String.fetchOne(db, sql: "SELECT passwordHash FROM user")!,
                try Data.fetchOne(db, sql: "SELECT publicKey FROM apiToken")!
            )
        }
        XCTAssertTrue(stored.0.hasPrefix("pbkdf2-sha512$210000$"), stored.0)
        XCTAssertEqual(stored.1, APITokenText(parsing: token)?.signingKey?.publicKey.rawRepresentation)
    }

    func testInputsAreValidated() throws {
        let directory = try StateStoreTestDirectory()
        let store = try StateStore.open(path: directory.file())
        for name in ["", "Alice", "1abc", "a b", "a/b", String(repeating: "a", count: 65), "é"] {
            XCTAssertThrowsError(try store.addUser(name: name, role: .viewer, password: nil), name) { error in
                guard case .invalid(what: "user name", _)? = error as? StoreError else { return XCTFail("\(error)") }
            }
        }
        XCTAssertNoThrow(try store.addUser(name: "a.b-c_9", role: .viewer, password: nil))
        XCTAssertNoThrow(try store.addUser(name: "b" + String(repeating: "x", count: 63), role: .viewer, password: nil))
        XCTAssertThrowsError(try store.addUser(name: "eve", role: .viewer, password: "short-pass1")) { error in
            XCTAssertEqual(error as? StoreError, .invalid(what: "password", reason: "use at least 12 characters"))
            XCTAssertFalse("\(error)".contains("short-pass1"))
        }
        XCTAssertNil(try store.user(named: "eve"))
        assertStoreError(
            try store.addUser(name: "a.b-c_9", role: .admin, password: nil),
            .invalid(what: "user 'a.b-c_9'", reason: "a user with this name already exists"))
        assertStoreError(try store.setDisabled("ghost", true), .notFound(what: "user 'ghost'"))
        assertStoreError(try store.grant("ghost", role: .admin), .notFound(what: "user 'ghost'"))
        assertStoreError(try store.issueToken(for: "ghost", label: "x", expiresAt: nil), .notFound(what: "user 'ghost'"))
        assertStoreError(
            try store.issueToken(for: "a.b-c_9", label: "x", expiresAt: Date(timeIntervalSinceNow: -1)),
            .invalid(what: "token expiry", reason: "it is in the past"))
        assertStoreError(try store.revokeToken(id: "00000000"), .notFound(what: "token '00000000'"))
        try store.grant("a.b-c_9", role: .admin)
        XCTAssertEqual(try store.user(named: "a.b-c_9")?.role, .admin)
    }
}
