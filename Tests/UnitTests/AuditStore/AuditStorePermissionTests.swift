import Foundation
import GRDB
import XCTest
@testable import AuditStore

final class AuditStorePermissionTests: XCTestCase {
    func testDefaultsAreAsDocumented() {
        let viewer: Set<Action> = [.readConfig, .readModel, .readAudit]
        let operatorActions = viewer.union([.run, .writeConfig, .writeModel, .writeLog])
        for action in Action.allCases {
            XCTAssertEqual(AuditStore.isAllowed(.viewer, action), viewer.contains(action), action.rawValue)
            XCTAssertEqual(AuditStore.isAllowed(.operator, action), operatorActions.contains(action), action.rawValue)
            XCTAssertTrue(AuditStore.isAllowed(.admin, action), action.rawValue)
        }
        XCTAssertFalse(AuditStore.isAllowed(.operator, .manageUsers))
        XCTAssertFalse(AuditStore.isAllowed(.operator, .manageTrust))
    }

    func testTheSeededTableMatchesTheDefaultsAndIsWhatCounts() throws {
        let directory = try AuditStoreTestDirectory()
        let store = try AuditStore.open(path: directory.file())
        XCTAssertEqual(try store.permissions(), AuditStore.defaultPermissions)
        for role in Role.allCases {
            for action in Action.allCases {
                XCTAssertEqual(try store.isAllowed(role, action), AuditStore.isAllowed(role, action), "\(role) \(action)")
            }
        }
        // An admin's edit of the table is what the store answers; nothing falls back to the defaults.
        try AuditStoreTestSupport.rawConnection(directory.file()).write { db in
            try db.execute(sql: "DELETE FROM permission WHERE role = 'operator' AND action = 'run'")
            try db.execute(sql: "INSERT INTO permission (role, action) VALUES ('viewer', 'run'), ('viewer', 'future.action')")
        }
        XCTAssertFalse(try store.isAllowed(.operator, .run))
        XCTAssertTrue(try store.isAllowed(.viewer, .run))
        XCTAssertEqual(try store.permissions()[.viewer], [.readConfig, .readModel, .readAudit, .run])
        try AuditStoreTestSupport.rawConnection(directory.file()).write { try $0.execute(sql: "DELETE FROM permission") }
        XCTAssertFalse(try store.isAllowed(.admin, .manageUsers))
        XCTAssertEqual(try store.permissions(), [:])
    }

    func testDisabledUsersAreAllowedNothing() throws {
        let directory = try AuditStoreTestDirectory()
        let store = try AuditStore.open(path: directory.file())
        var admin = try store.addUser(name: "root", role: .admin, password: nil)
        XCTAssertTrue(try store.isAllowed(admin, .manageTrust))
        admin.disabled = true
        XCTAssertFalse(try store.isAllowed(admin, .readAudit))
    }
}
