import Foundation
import GRDB
import XCTest

@testable import StateStore

final class StateStorePermissionTests: XCTestCase {
    func testDefaultsAreAsDocumented() {
        let viewer: Set<Action> = [.readConfig, .readModel, .readAudit]
        let operatorActions = viewer.union([.run, .writeConfig, .writeModel, .writeLog])
        for action in Action.allCases {
            XCTAssertEqual(StateStore.isAllowed(.viewer, action), viewer.contains(action), action.rawValue)
            XCTAssertEqual(StateStore.isAllowed(.operator, action), operatorActions.contains(action), action.rawValue)
            XCTAssertTrue(StateStore.isAllowed(.admin, action), action.rawValue)
        }
        XCTAssertFalse(StateStore.isAllowed(.operator, .manageUsers))
        XCTAssertFalse(StateStore.isAllowed(.operator, .manageTrust))
    }

    func testTheSeededTableMatchesTheDefaultsAndIsWhatCounts() throws {
        let directory = try StateStoreTestDirectory()
        let store = try StateStore.open(path: directory.file())
        XCTAssertEqual(try store.permissions(), StateStore.defaultPermissions)
        for role in Role.allCases {
            for action in Action.allCases {
                XCTAssertEqual(try store.isAllowed(role, action), StateStore.isAllowed(role, action), "\(role) \(action)")
            }
        }
        // An admin's edit of the table is what the store answers; nothing falls back to the defaults.
        try StateStoreTestSupport.rawConnection(directory.file()).write { db in
            try db.execute(sql: "DELETE FROM permission WHERE role = 'operator' AND action = 'run'")
            try db.execute(sql: "INSERT INTO permission (role, action) VALUES ('viewer', 'run'), ('viewer', 'future.action')")
        }
        XCTAssertFalse(try store.isAllowed(.operator, .run))
        XCTAssertTrue(try store.isAllowed(.viewer, .run))
        XCTAssertEqual(try store.permissions()[.viewer], [.readConfig, .readModel, .readAudit, .run])
        try StateStoreTestSupport.rawConnection(directory.file()).write { try $0.execute(sql: "DELETE FROM permission") }
        XCTAssertFalse(try store.isAllowed(.admin, .manageUsers))
        XCTAssertEqual(try store.permissions(), [:])
    }

    func testDisabledUsersAreAllowedNothing() throws {
        let directory = try StateStoreTestDirectory()
        let store = try StateStore.open(path: directory.file())
        var admin = try store.addUser(name: "root", role: .admin, password: nil)
        XCTAssertTrue(try store.isAllowed(admin, .manageTrust))
        admin.disabled = true
        XCTAssertFalse(try store.isAllowed(admin, .readAudit))
    }
}
