import Crypto
import Foundation
import GRDB
import XCTest

@testable import StateStore

/// Each test tampers with the log as someone with write access to the file would, through
/// a separate plain SQLite connection, and checks that `verify` names the first bad entry.
final class AuditTamperTests: XCTestCase {
    private var directory: StateStoreTestDirectory!
    private var store: StateStore!
    private var raw: DatabaseQueue!

    override func setUpWithError() throws {
        directory = try StateStoreTestDirectory()
        store = try StateStore.open(path: directory.file())
        for number in 1...6 {
            try store.append(StateStoreTestSupport.event(number))
        }
        raw = try StateStoreTestSupport.rawConnection(directory.file())
    }

    override func tearDown() {
        raw = nil
        store = nil
        directory = nil
    }

    private func dropTriggers() throws {
        try raw.write { db in
            try db.execute(sql: "DROP TRIGGER auditEntry_append_only_update; DROP TRIGGER auditEntry_append_only_delete")
        }
    }

    private func assertBroken(at id: Int64, mentioning words: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let result = try store.verify()
        guard case let .broken(entryID, reason) = result else {
            return XCTFail("expected a break at \(id), got \(result)", file: file, line: line)
        }
        XCTAssertEqual(entryID, id, reason, file: file, line: line)
        XCTAssertTrue(reason.contains(words), "reason: \(reason)", file: file, line: line)
    }

    func testEditedRowIsFound() throws {
        try dropTriggers()
        try raw.write { try $0.execute(sql: "UPDATE auditEntry SET actor = 'mallory' WHERE id = 4") }
        try assertBroken(at: 4, mentioning: "hash does not match")
    }

    func testEditedDetailsAreFound() throws {
        try dropTriggers()
        try raw.write { try $0.execute(sql: #"UPDATE auditEntry SET details = '{"epochs":"99"}' WHERE id = 2"#) }
        try assertBroken(at: 2, mentioning: "details do not match")
    }

    func testDeletedMiddleRowIsFound() throws {
        try dropTriggers()
        try raw.write { try $0.execute(sql: "DELETE FROM auditEntry WHERE id = 3") }
        try assertBroken(at: 4, mentioning: "entry 3 is missing")
    }

    func testSwappedRowsAreFound() throws {
        try dropTriggers()
        try raw.write { db in
            let columns = "timestamp, actor, action, target, outcome, detailsDigest, details, previousHash, hash, mac"
            let second = try Row.fetchOne(db, sql: "SELECT \(columns) FROM auditEntry WHERE id = 2")!
            let third = try Row.fetchOne(db, sql: "SELECT \(columns) FROM auditEntry WHERE id = 3")!
            let assignments = columns.split(separator: ",").map { "\($0.trimmingCharacters(in: .whitespaces)) = ?" }
                .joined(separator: ", ")
            try db.execute(
                sql: "UPDATE auditEntry SET \(assignments) WHERE id = 2",
                arguments: StatementArguments(Array(third.databaseValues)))
            try db.execute(
                sql: "UPDATE auditEntry SET \(assignments) WHERE id = 3",
                arguments: StatementArguments(Array(second.databaseValues)))
        }
        try assertBroken(at: 2, mentioning: "previous hash does not match entry 1")
    }

    /// Someone who can write the file but not read the key edits entry 3 and recomputes
    /// every hash after it: the chain is consistent again, but the MACs give it away.
    func testRewrittenChainWithoutTheKeyIsFound() throws {
        try dropTriggers()
        let forgedKey = SymmetricKey(size: .bits256)
        try raw.write { db in
            var previousHash = try String.fetchOne(db, sql: "SELECT hash FROM auditEntry WHERE id = 2")!
            for row in try Row.fetchAll(db, sql: "SELECT * FROM auditEntry WHERE id >= 3 ORDER BY id") {
                let id: Int64 = row["id"]
                let actor = id == 3 ? "mallory" : row["actor"] as String
                let hash = AuditChain.hash(
                    .init(
                        previousHash: previousHash, id: id, timestamp: row["timestamp"], actor: actor, action: row["action"],
                        target: row["target"], outcome: row["outcome"], detailsDigest: row["detailsDigest"]))
                try db.execute(
                    sql: "UPDATE auditEntry SET actor = ?, previousHash = ?, hash = ?, mac = ? WHERE id = ?",
                    arguments: [actor, previousHash, hash, AuditChain.mac(hash: hash, key: forgedKey), id])
                previousHash = hash
            }
        }
        try assertBroken(at: 3, mentioning: "MAC is not valid")
    }

    func testMissingKeyBreaksAtTheFirstEntryAndStopsAppends() throws {
        let keyPath = directory.file() + ".key"
        try FileManager.default.removeItem(atPath: keyPath)
        store = try StateStore.open(path: directory.file())
        try assertBroken(at: 1, mentioning: "audit key")
        assertStoreError(try store.append(StateStoreTestSupport.event(7)), .auditKeyMissing(path: keyPath))
        XCTAssertFalse(FileManager.default.fileExists(atPath: keyPath), "a key must not be made up for an existing log")
        XCTAssertEqual(try store.entries().count, 6)
    }

    func testReplacedKeyIsFound() throws {
        let keyPath = directory.file() + ".key"
        try Data((0..<32).map { UInt8($0) }).write(to: URL(fileURLWithPath: keyPath))
        store = try StateStore.open(path: directory.file())
        try assertBroken(at: 1, mentioning: "MAC is not valid")
    }

    func testTruncatedKeyIsReportedAsUnusable() throws {
        let keyPath = directory.file() + ".key"
        try Data([1, 2, 3]).write(to: URL(fileURLWithPath: keyPath))
        store = try StateStore.open(path: directory.file())
        try assertBroken(at: 1, mentioning: "missing or unusable")
        assertStoreError(try store.append(StateStoreTestSupport.event(7)), .auditKeyMissing(path: keyPath))
    }

    /// The documented limit: removing the newest entries leaves a valid shorter chain. Only
    /// a head hash recorded elsewhere shows it (the head moves back).
    func testDeletingTheLastEntryOnlyMovesTheHead() throws {
        guard case let .intact(_, head) = try store.verify() else { return XCTFail() }
        try dropTriggers()
        try raw.write { try $0.execute(sql: "DELETE FROM auditEntry WHERE id = 6") }
        let after = try store.verify()
        XCTAssertEqual(after, .intact(count: 5, head: try store.entries()[4].hash))
        XCTAssertNotEqual(after, .intact(count: 5, head: head))
    }

    /// An anchor recorded before the cut shows it, naming the first removed entry.
    func testAnchorDetectsTheRemovalOfTheNewestEntries() throws {
        guard case let .intact(count, head) = try store.verify() else { return XCTFail() }
        let anchor = AuditAnchor(count: count, head: head)
        XCTAssertEqual(AuditAnchor(anchor.description), anchor)
        XCTAssertEqual(try store.verify(anchor: anchor), .intact(count: count, head: head))
        try store.append(StateStoreTestSupport.event(99))
        guard case .intact(count + 1, _) = try store.verify(anchor: anchor) else {
            return XCTFail("a longer log still holds the anchor")
        }
        try dropTriggers()
        try raw.write { try $0.execute(sql: "DELETE FROM auditEntry WHERE id >= 5") }
        guard case let .broken(id, reason) = try store.verify(anchor: anchor) else { return XCTFail("truncation not seen") }
        XCTAssertEqual(id, 5)
        XCTAssertTrue(reason.contains("were removed"), reason)
    }

    /// A log rebuilt from the anchor's position on (a valid chain, but another one) is named at that entry.
    func testAnchorDetectsARewrittenChain() throws {
        guard case let .intact(count, head) = try store.verify() else { return XCTFail() }
        let forged = AuditAnchor(count: count, head: String(repeating: "a", count: 64))
        guard case let .broken(id, reason) = try store.verify(anchor: forged) else { return XCTFail() }
        XCTAssertEqual(id, Int64(count))
        XCTAssertTrue(reason.contains("rewritten"), reason)
        XCTAssertNotEqual(forged.head, head)
        XCTAssertNil(AuditAnchor("5"))
        XCTAssertNil(AuditAnchor("-1:" + head))
        XCTAssertNil(AuditAnchor("5:" + head.dropLast()))
    }
}
