import Foundation
import GRDB
import XCTest

@testable import StateStore

/// A fresh directory per test, removed afterwards (modes restored first, for the read-only tests).
final class StateStoreTestDirectory: Sendable {
    let path: String

    init() throws {
        path = NSTemporaryDirectory() + "audit-store-tests-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    deinit {
        chmod(path, 0o700)
        try? FileManager.default.removeItem(atPath: path)
    }

    func file(_ name: String = "store.sqlite") -> String {
        (path as NSString).appendingPathComponent(name)
    }
}

/// A clock the test moves by hand, to reach expiry dates without waiting.
final class StateStoreTestClock: @unchecked Sendable {
    private let lock = NSLock()
    private var current = Timestamp.truncated(Date())

    var date: Date { lock.withLock { current } }

    func advance(by seconds: TimeInterval) {
        lock.withLock { current = current.addingTimeInterval(seconds) }
    }

    var now: @Sendable () -> Date { { [self] in date } }
}

enum StateStoreTestSupport {
    /// A plain GRDB connection to the same file, as an attacker or another tool would have:
    /// no triggers re-created, no key, nothing of the store's checks.
    static func rawConnection(_ path: String, allowingOpenTransactions: Bool = false) throws -> DatabaseQueue {
        var configuration = Configuration()
        configuration.allowsUnsafeTransactions = allowingOpenTransactions
        return try DatabaseQueue(path: path, configuration: configuration)
    }

    static func event(_ number: Int, actor: String = "alice") -> AuditEvent {
        AuditEvent(
            actor: actor, action: "run", target: "data\(number).csv", outcome: .success,
            details: ["epochs": "\(number)", "note": "entry \(number)"])
    }

    static func mode(_ path: String) -> mode_t? {
        var info = stat()
        return stat(path, &info) == 0 ? info.st_mode & 0o7777 : nil
    }
}

/// Asserts that `body` throws exactly `expected`.
func assertStoreError<T>(
    _ body: @autoclosure () throws -> T, _ expected: StoreError,
    file: StaticString = #filePath, line: UInt = #line
) {
    XCTAssertThrowsError(try body(), file: file, line: line) { error in
        XCTAssertEqual(error as? StoreError, expected, "got \(error)", file: file, line: line)
    }
}
