import Foundation
import GRDB
import RemoteAuth
import XCTest

@testable import StateStore

final class AuditLogTests: XCTestCase {
    func testAppendedEntriesFormAnIntactChain() throws {
        let directory = try StateStoreTestDirectory()
        let store = try StateStore.open(path: directory.file())
        XCTAssertEqual(try store.verify(), .intact(count: 0, head: AuditChain.genesis))
        var last: AuditEntry?
        for number in 1...200 {
            let entry = try store.append(StateStoreTestSupport.event(number))
            XCTAssertEqual(entry.id, Int64(number))
            XCTAssertEqual(entry.previousHash, last?.hash ?? AuditChain.genesis)
            last = entry
        }
        XCTAssertEqual(try store.verify(), .intact(count: 200, head: last!.hash))
        // A second instance (another process, later) sees the same chain.
        let reopened = try StateStore.open(path: directory.file())
        XCTAssertEqual(try reopened.verify(), .intact(count: 200, head: last!.hash))
    }

    func testEntryFieldsAreStoredAsDocumented() throws {
        let directory = try StateStoreTestDirectory()
        let store = try StateStore.open(path: directory.file())
        let entry = try store.append(
            AuditEvent(
                actor: "bob", action: "config.write", target: "run.json", outcome: .refused,
                details: ["z": "last", "a": "first \"quoted\"\n"]))
        XCTAssertEqual(entry.details, #"{"a":"first \"quoted\"\n","z":"last"}"#)
        XCTAssertEqual(entry.detailsDictionary, ["z": "last", "a": "first \"quoted\"\n"])
        XCTAssertEqual(entry.detailsDigest, sha256Hex(entry.details))
        XCTAssertEqual(entry.hash.count, 64)
        XCTAssertEqual(entry.mac.count, 64)
        let text = try StateStoreTestSupport.rawConnection(directory.file()).read { db in
            try String.fetchOne(db, sql: "SELECT timestamp FROM auditEntry WHERE id = 1")
        }
        XCTAssertEqual(text, Timestamp.text(entry.timestamp))
        XCTAssertNotNil(text?.wholeMatch(of: /\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z/))
        XCTAssertEqual(try store.entries(), [entry])
    }

    func testTriggersRefuseUpdateAndDelete() throws {
        let directory = try StateStoreTestDirectory()
        let store = try StateStore.open(path: directory.file())
        try store.append(StateStoreTestSupport.event(1))
        let raw = try StateStoreTestSupport.rawConnection(directory.file())
        for sql in ["UPDATE auditEntry SET actor = 'mallory'", "DELETE FROM auditEntry", "UPDATE auditEntry SET mac = mac"] {
            XCTAssertThrowsError(try raw.write { try $0.execute(sql: sql) }, sql) { error in
                XCTAssertEqual((error as? DatabaseError)?.message, "the audit log is append-only", sql)
            }
        }
        XCTAssertEqual(try store.verify(), .intact(count: 1, head: try store.entries()[0].hash))
    }

    func testConcurrentAppendersFromTwoConnectionsFormOneChain() throws {
        let directory = try StateStoreTestDirectory()
        let stores = [
            try StateStore.open(path: directory.file(), busyTimeout: 10),
            try StateStore.open(path: directory.file(), busyTimeout: 10),
        ]
        let failures = NSLock()
        nonisolated(unsafe) var errors: [String] = []
        DispatchQueue.concurrentPerform(iterations: 4) { worker in
            for number in 0..<40 {
                do {
                    try stores[worker % 2].append(StateStoreTestSupport.event(number, actor: "worker\(worker)"))
                } catch {
                    failures.withLock { errors.append("\(error)") }
                }
            }
        }
        XCTAssertEqual(errors, [])
        let entries = try stores[0].entries()
        XCTAssertEqual(entries.map(\.id), Array(1...160))
        XCTAssertEqual(try stores[1].verify(), .intact(count: 160, head: entries.last!.hash))
        for worker in 0..<4 {
            XCTAssertEqual(entries.filter { $0.actor == "worker\(worker)" }.count, 40)
        }
    }

    func testFilters() throws {
        let directory = try StateStoreTestDirectory()
        let clock = StateStoreTestClock()
        let store = try StateStore.open(path: directory.file(), busyTimeout: 5, now: clock.now)
        let start = clock.date
        for number in 1...6 {
            try store.append(
                AuditEvent(
                    actor: number.isMultiple(of: 2) ? "bob" : "alice",
                    action: number <= 3 ? "run" : "auth.token", outcome: .success))
            clock.advance(by: 60)
        }
        XCTAssertEqual(try store.entries(AuditFilter(actor: "bob")).map(\.id), [2, 4, 6])
        XCTAssertEqual(try store.entries(AuditFilter(action: "run")).map(\.id), [1, 2, 3])
        XCTAssertEqual(try store.entries(AuditFilter(actor: "alice", action: "auth.token")).map(\.id), [5])
        XCTAssertEqual(try store.entries(AuditFilter(since: start.addingTimeInterval(120))).map(\.id), [3, 4, 5, 6])
        XCTAssertEqual(try store.entries(AuditFilter(until: start.addingTimeInterval(120))).map(\.id), [1, 2])
        XCTAssertEqual(
            try store.entries(AuditFilter(since: start.addingTimeInterval(60), until: start.addingTimeInterval(180)))
                .map(\.id), [2, 3])
        XCTAssertEqual(try store.entries(AuditFilter(limit: 2)).map(\.id), [5, 6])
        XCTAssertEqual(try store.entries(AuditFilter(actor: "alice", limit: 2)).map(\.id), [3, 5])
        XCTAssertEqual(try store.entries(AuditFilter(limit: 0)), [])
    }

    func testEventsCarryingATokenAreRefused() throws {
        let directory = try StateStoreTestDirectory()
        let store = try StateStore.open(path: directory.file())
        let token = APITokenText.random().text
        for event in [
            AuditEvent(actor: "alice", action: "auth.token", target: token, outcome: .refused),
            AuditEvent(actor: "alice", action: "auth.token", outcome: .refused, details: ["header": "Bearer \(token)"]),
        ] {
            XCTAssertThrowsError(try store.append(event)) { error in
                guard case .invalid? = error as? StoreError else { return XCTFail("\(error)") }
                XCTAssertFalse("\(error)".contains(token))
            }
        }
        XCTAssertEqual(try store.entries(), [])
    }
}
