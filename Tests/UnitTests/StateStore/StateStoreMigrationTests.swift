import Crypto
import FeatureExtractorSupport
import Foundation
import GRDB
import RemoteAuth
import XCTest

@testable import StateStore

final class StateStoreMigrationTests: XCTestCase {
    private let allSteps = [
        "v1-access-control-and-audit", "v2-runs-and-statistics", "v3-trust", "v4-remote", "v5-pca-baseline", "v6-token-key-pairs",
    ]

    private func tables(_ path: String) throws -> Set<String> {
        try StateStoreTestSupport.rawConnection(path).read { db in
            try String.fetchSet(db, sql: "SELECT name FROM sqlite_master WHERE type = 'table'")
        }
    }

    /// A database built by an earlier version: migrated up to `step` with plain GRDB, no key.
    private func database(at step: String, in directory: StateStoreTestDirectory) throws -> DatabaseQueue {
        let raw = try StateStoreTestSupport.rawConnection(directory.file())
        try StateStoreMigrations.migrator.migrate(raw, upTo: step)
        return raw
    }

    func testFromEmpty() throws {
        let directory = try StateStoreTestDirectory()
        _ = try StateStore.open(path: directory.file())
        XCTAssertEqual(StateStoreMigrations.migrator.migrations, allSteps)
        let applied = try StateStoreTestSupport.rawConnection(directory.file()).read { db in
            try StateStoreMigrations.migrator.appliedMigrations(db)
        }
        XCTAssertEqual(applied, allSteps)
        XCTAssertTrue(
            try tables(directory.file()).isSuperset(of: [
                "user", "apiToken", "permission", "auditEntry", "configuration", "run", "runStatistic", "trustedKey",
                "pluginVersion",
            ]))
        let journal = try StateStoreTestSupport.rawConnection(directory.file()).read { db in
            try String.fetchOne(db, sql: "PRAGMA journal_mode")
        }
        XCTAssertEqual(journal, "wal")
    }

    /// A v1 database with a user, a token and a valid audit entry (written the way v1 wrote
    /// them, with its key) upgrades in place and keeps all of it.
    func testFromV1KeepsUsersTokensAndTheAuditChain() throws {
        let directory = try StateStoreTestDirectory()
        let raw = try database(at: allSteps[0], in: directory)
        let key = SymmetricKey(size: .bits256).withUnsafeBytes { Array($0) }
        try Data(key).write(to: URL(fileURLWithPath: directory.file() + ".key"))
        let hash = AuditChain.hash(
            .init(
                previousHash: AuditChain.genesis, id: 1, timestamp: "2025-01-02T03:04:05.678Z",
                actor: "alice", action: "users.manage", target: "bob", outcome: "success",
                detailsDigest: sha256Hex("{}")))
        try raw.write { db in
            try db.execute(
                sql: """
                    INSERT INTO user (name, role, disabled, passwordHash, createdAt) VALUES ('bob', 'viewer', 0, NULL, '2025-01-02T03:04:05.000Z');
                    INSERT INTO apiToken (id, userID, label, secretHash, createdAt, expiresAt, revoked)
                      VALUES ('0a0b0c0d', 1, 'old', 'pbkdf2-sha512$210000$AAAA$AAAA', '2025-01-02T03:04:05.000Z', NULL, 0);
                    """)
            try db.execute(
                sql: """
                    INSERT INTO auditEntry (id, timestamp, actor, action, target, outcome, detailsDigest, details, previousHash, hash, mac)
                    VALUES (1, '2025-01-02T03:04:05.678Z', 'alice', 'users.manage', 'bob', 'success', ?, '{}', ?, ?, ?)
                    """,
                arguments: [sha256Hex("{}"), AuditChain.genesis, hash, AuditChain.mac(hash: hash, key: .init(data: key))])
        }
        XCTAssertFalse(try tables(directory.file()).contains("run"))

        let store = try StateStore.open(path: directory.file())
        XCTAssertEqual(
            try store.users(),
            [
                User(
                    id: 1, name: "bob", role: .viewer, disabled: false,
                    createdAt: Timestamp.date(text: "2025-01-02T03:04:05.000Z")!)
            ])
        XCTAssertEqual(try store.tokens(for: "bob").map(\.id), ["0a0b0c0d"])
        XCTAssertEqual(try store.verify(), .intact(count: 1, head: hash))
        let next = try store.append(StateStoreTestSupport.event(2))
        XCTAssertEqual(next.previousHash, hash)
        XCTAssertEqual(try store.verify(), .intact(count: 2, head: next.hash))
        // The later steps' tables work.
        _ = try store.beginRun(actor: "bob", command: "x")
        let publicKey = Curve25519.Signing.PrivateKey().publicKey.rawRepresentation
        try store.trustKey(
            TrustedKey(
                id: String(SHA256.hash(data: publicKey).hex.prefix(16)), publicKey: publicKey.base64EncodedString(),
                name: "vendor", addedAt: Date()))
        XCTAssertEqual(try store.trustedKeys().count, 1)
    }

    /// A token issued before key pairs (only a slow hash of its secret kept) stays listed, loses
    /// its hash, and is refused with what to do: its holder re-issues it.
    func testFromV5LegacyTokensAreKeptAndRefusedWithReissue() throws {
        let directory = try StateStoreTestDirectory()
        let raw = try database(at: "v5-pca-baseline", in: directory)
        let legacy = APITokenText.random()
        try raw.write { db in
            try db.execute(
                sql: """
                    INSERT INTO user (name, role, disabled, passwordHash, createdAt) VALUES ('bob', 'operator', 0, NULL, '2025-01-02T03:04:05.000Z');
                    INSERT INTO apiToken (id, userID, label, secretHash, createdAt, expiresAt, revoked)
                      VALUES (?, 1, 'old', 'pbkdf2-sha512$210000$AAAA$AAAA', '2025-01-02T03:04:05.000Z', NULL, 0);
                    """, arguments: [legacy.id])
        }
        let store = try StateStore.open(path: directory.file())
        XCTAssertEqual(try store.tokens(for: "bob").map(\.id), [legacy.id])
        XCTAssertEqual(try store.tokenKeys(id: legacy.id), .legacy)
        let refused = store.authenticateWithReason(token: legacy.text)
        XCTAssertNil(refused.user)
        XCTAssertEqual(refused.reason, StateStore.legacyTokenReason(legacy.id))
        XCTAssertTrue(refused.reason.contains("re-issue it (feature-extractor user token NAME)"), refused.reason)
        let columns = try StateStoreTestSupport.rawConnection(directory.file()).read { db in
            try db.columns(in: "apiToken").map(\.name)
        }
        XCTAssertFalse(columns.contains("secretHash"), "the old hashes are gone: \(columns)")
        XCTAssertTrue(Set(columns).isSuperset(of: ["publicKey", "responseKey"]), "\(columns)")
        // A new token for the same user works beside it.
        let (fresh, _) = try store.issueToken(for: "bob", label: "new", expiresAt: nil)
        XCTAssertEqual(try store.authenticate(token: fresh).name, "bob")
    }

    func testFromV2KeepsRuns() throws {
        let directory = try StateStoreTestDirectory()
        let raw = try database(at: allSteps[1], in: directory)
        try raw.write { db in
            try db.execute(
                sql: """
                    INSERT INTO configuration (digest, json, createdAt) VALUES ('d1', '{"epochs":5}', '2025-01-02T03:04:05.000Z');
                    INSERT INTO run (actor, command, startedAt, finishedAt, outcome, seconds, rows, bytes, configDigest, configSources)
                      VALUES ('alice', 'train', '2025-01-02T03:04:05.000Z', '2025-01-02T03:04:07.500Z', 'success', 2.5, 10, 20, 'd1', '["defaults"]');
                    INSERT INTO runStatistic (runID, position, "column", interfaceSize, epochs, trainingSeconds) VALUES (1, 0, 'CLOSE', 32, 5, 2.0);
                    """)
        }
        XCTAssertFalse(try tables(directory.file()).contains("trustedKey"))
        let store = try StateStore.open(path: directory.file())
        let run = try XCTUnwrap(try store.runs(limit: 5).first)
        XCTAssertEqual(run.outcome, "success")
        XCTAssertEqual(run.configDigest, "d1")
        XCTAssertEqual(run.finishedAt, Timestamp.date(text: "2025-01-02T03:04:07.500Z"))
        XCTAssertEqual(
            try store.statistics(run: 1), [RunStatistic(column: "CLOSE", interfaceSize: 32, epochs: 5, trainingSeconds: 2)])
        XCTAssertEqual(try store.configuration(run: 1)?.sources, ["defaults"])
        XCTAssertTrue(try tables(directory.file()).contains("trustedKey"))
        // An empty log gets a key on upgrade, so appends work.
        XCTAssertEqual(try store.append(StateStoreTestSupport.event(1)).id, 1)
        XCTAssertEqual(StateStoreTestSupport.mode(directory.file() + ".key"), 0o600)
    }

    func testFromV3KeepsTrustAndGainsTheRemoteTables() throws {
        let directory = try StateStoreTestDirectory()
        let raw = try database(at: allSteps[2], in: directory)
        let key = Data(repeating: 3, count: 32)
        let id = String(SHA256.hash(data: key).hex.prefix(16))
        try raw.write { db in
            try db.execute(
                sql: "INSERT INTO trustedKey (id, publicKey, name, addedAt) VALUES (?, ?, 'k', '2025-01-02T03:04:05.000Z')",
                arguments: [id, key.base64EncodedString()])
        }
        XCTAssertFalse(try tables(directory.file()).contains("requestNonce"))
        let store = try StateStore.open(path: directory.file())
        XCTAssertEqual(try store.trustedKey(id: id)?.name, "k")
        XCTAssertTrue(
            try tables(directory.file()).isSuperset(of: [
                "requestNonce", "remoteConfig", "remoteModel", "remoteLogEvent", "spooledEvent",
            ]))
        XCTAssertTrue(try store.rememberNonce("n1", expiresAt: Date().addingTimeInterval(60)))
        XCTAssertFalse(try store.rememberNonce("n1", expiresAt: Date().addingTimeInterval(60)), "a nonce is accepted once")
    }

    func testNewerSchemaIsRefused() throws {
        let directory = try StateStoreTestDirectory()
        do {
            let store = try StateStore.open(path: directory.file())
            try store.append(StateStoreTestSupport.event(1))
        }
        try StateStoreTestSupport.rawConnection(directory.file()).write { db in
            try db.execute(sql: "INSERT INTO grdb_migrations (identifier) VALUES ('v9-from-the-future')")
        }
        assertStoreError(
            try StateStore.open(path: directory.file()),
            .newerSchema(path: directory.file(), unknown: ["v9-from-the-future"]))
        XCTAssertTrue("\(StoreError.newerSchema(path: "/x", unknown: ["v9-from-the-future"]))".contains("v9-from-the-future"))
    }
}
