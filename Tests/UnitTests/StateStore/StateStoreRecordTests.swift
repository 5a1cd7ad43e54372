import Foundation
import XCTest

@testable import StateStore

/// What goes in comes back equal, through the database and through JSON (the CLI prints records).
final class StateStoreRecordTests: XCTestCase {
    func testUsersRoundTrip() throws {
        let directory = try StateStoreTestDirectory()
        let clock = StateStoreTestClock()
        let store = try StateStore.open(path: directory.file(), busyTimeout: 5, now: clock.now)
        let admin = try store.addUser(name: "admin", role: .admin, password: nil)
        let viewer = try store.addUser(name: "viewer.1", role: .viewer, password: nil)
        XCTAssertEqual(admin, User(id: admin.id, name: "admin", role: .admin, disabled: false, createdAt: clock.date))
        XCTAssertNotNil(admin.id)
        XCTAssertEqual(try store.user(named: "admin"), admin)
        XCTAssertEqual(try store.users(), [admin, viewer])
        XCTAssertNil(try store.user(named: "nobody"))
        try store.setDisabled("viewer.1", true)
        try store.grant("viewer.1", role: .operator)
        XCTAssertEqual(
            try store.user(named: "viewer.1"),
            User(id: viewer.id, name: "viewer.1", role: .operator, disabled: true, createdAt: viewer.createdAt))
    }

    func testPasswordsCanBeSetLater() throws {
        let directory = try StateStoreTestDirectory()
        let store = try StateStore.open(path: directory.file())
        let user = try store.addUser(name: "ops", role: .operator, password: nil)
        XCTAssertEqual(
            store.authenticateWithReason(user: "ops", password: "whatever-it-is").reason,
            "user 'ops' has no password (tokens only)")
        try store.setPassword("ops", "a long enough password")
        XCTAssertEqual(try store.authenticate(user: "ops", password: "a long enough password"), user)
        assertStoreError(try store.setPassword("nobody", nil), .notFound(what: "user 'nobody'"))
    }

    func testPublicRecordsRoundTripThroughJSON() throws {
        let date = Timestamp.truncated(Date())
        let user = User(id: 3, name: "alice", role: .operator, disabled: true, createdAt: date)
        let token = APIToken(id: "0a1b2c3d", userID: 3, label: "CI", createdAt: date, expiresAt: nil, revoked: true)
        let run = RunRecord(
            id: 1, actor: "alice", command: "x", startedAt: date, finishedAt: date, outcome: "success",
            seconds: 1.5, rows: 2, bytes: 3, configDigest: "ab")
        let statistic = RunStatistic(column: nil, interfaceSize: 8, epochs: 2, mse: 0.5, trainingSeconds: 1)
        let key = TrustedKey(id: "0123abcd", publicKey: "AAAA", name: "k", addedAt: date, revokedAt: date)
        XCTAssertEqual(try roundTrip(user), user)
        XCTAssertEqual(try roundTrip(token), token)
        XCTAssertEqual(try roundTrip(run), run)
        XCTAssertEqual(try roundTrip(statistic), statistic)
        XCTAssertEqual(try roundTrip(key), key)
        XCTAssertEqual(try roundTrip(Role.operator), .operator)
        XCTAssertEqual(try roundTrip(Action.manageTrust), .manageTrust)
        XCTAssertEqual(
            Action.allCases.map(\.rawValue),
            [
                "run", "config.read", "config.write", "model.read", "model.write",
                "log.write", "audit.read", "users.manage", "trust.manage",
            ])
    }

    private func roundTrip<T: Codable>(_ value: T) throws -> T {
        try JSONDecoder().decode(T.self, from: JSONEncoder().encode(value))
    }
}
