import Foundation
import StateStore
import TestSupport
import XCTest

/// What CLI runs leave in the database, and how a bad database stops them.
final class CLIStoreTests: XCTestCase {
    private var dir: TemporaryDirectory!

    override func setUpWithError() throws { dir = try TemporaryDirectory() }
    override func tearDown() { dir.remove() }

    private func small(_ extra: [String] = []) -> [String] {
        [
            BuiltProducts.sample("eurusd_1h_d1.csv"), "--columns", "CLOSE,OPEN", "--max-steps", "1200", "--window-size", "16",
            "--initial-size", "3", "--epochs", "2", "--output-file", dir.file("f.csv"),
        ] + extra
    }

    func testARunLeavesAccountingConfigurationStatisticsAndAudit() throws {
        let before = try TestPlugins.store.entries().count
        let r = try CommandRunner.run(small())
        XCTAssertEqual(r.status, 0, r.stderr)
        let run = try XCTUnwrap(try TestPlugins.store.runs(limit: 1).first)
        XCTAssertEqual(run.outcome, "success")
        XCTAssertEqual(run.actor, StateStore.osUser)
        XCTAssertEqual(run.rows, 1200)
        XCTAssertGreaterThan(run.bytes ?? 0, 0)
        XCTAssertGreaterThan(run.seconds ?? 0, 0)
        let config = try XCTUnwrap(try TestPlugins.store.configuration(run: run.id))
        XCTAssertEqual(config.digest, run.configDigest)
        XCTAssertTrue(config.sources.contains("command line"))
        XCTAssertTrue(config.json.contains("\"window_size\" : 16"), config.json)
        let stats = try TestPlugins.store.statistics(run: run.id)
        XCTAssertEqual(Set(stats.compactMap(\.column)), ["CLOSE", "OPEN"])
        XCTAssertTrue(stats.allSatisfy { $0.interfaceSize == 3 })
        XCTAssertTrue(stats.contains { $0.column == nil && $0.epochs == 2 && ($0.windowsPerSecond ?? 0) > 0 })
        let added = try TestPlugins.store.entries().dropFirst(before).map(\.action)
        XCTAssertEqual(added.first, "run.start")
        XCTAssertEqual(added.last, "run.finish")
        XCTAssertEqual(added.filter { $0 == "plugin.load" }.count, 2)
    }

    func testAFailedRunIsAccountedAndAuditedAsAFailure() throws {
        let r = try CommandRunner.run(small(["--encoder-plugin", "crash-mid-training"]))
        XCTAssertEqual(r.status, 69)
        let run = try XCTUnwrap(try TestPlugins.store.runs(limit: 1).first)
        XCTAssertEqual(run.outcome, "failure")
        let finish = try XCTUnwrap(try TestPlugins.store.entries(AuditFilter(action: "run.finish")).last)
        XCTAssertEqual(finish.outcome, .failure)
    }

    func testPluginRefusalIsAudited() throws {
        let r = try CommandRunner.run(small(["--encoder-plugin", "lying-name"]))
        XCTAssertEqual(r.status, 69)
        let refusal = try XCTUnwrap(try TestPlugins.store.entries(AuditFilter(action: "plugin.refuse")).last)
        XCTAssertEqual(refusal.target, "encoder/lying-name")
        XCTAssertEqual(refusal.outcome, .refused)
    }

    func testCorruptReadOnlyAndNewerDatabasesStopTheRun() throws {
        try Data(repeating: 0x5A, count: 8192).write(to: URL(fileURLWithPath: dir.file("corrupt.sqlite")))
        let corrupt = try CommandRunner.run(small(["--db", dir.file("corrupt.sqlite")]))
        XCTAssertEqual(corrupt.status, 74)
        XCTAssertTrue(corrupt.stderr.contains("corrupt.sqlite"), corrupt.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir.file("f.csv")), "no run without its audit trail")

        _ = try StateStore.open(path: dir.file("ro/db.sqlite").replacingOccurrences(of: "/ro/", with: "/"))
        try FileManager.default.createDirectory(atPath: dir.file("ro"), withIntermediateDirectories: true)
        _ = try StateStore.open(path: dir.file("ro/db.sqlite"))
        chmod(dir.file("ro/db.sqlite"), 0o400)
        chmod(dir.file("ro"), 0o500)
        defer { chmod(dir.file("ro"), 0o700) }
        let readOnly = try CommandRunner.run(small(["--db", dir.file("ro/db.sqlite")]))
        XCTAssertEqual(readOnly.status, 74)
        XCTAssertTrue(readOnly.stderr.contains("read-only") || readOnly.stderr.contains("read only"), readOnly.stderr)

        let newer = dir.file("newer.sqlite")
        _ = try StateStore.open(path: newer)
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/sqlite3")
        p.arguments = [newer, "INSERT INTO grdb_migrations VALUES ('v99-from-the-future')"]
        guard (try? p.run()) != nil else { throw XCTSkip("sqlite3 is not installed") }
        p.waitUntilExit()
        let refused = try CommandRunner.run(small(["--db", newer]))
        XCTAssertEqual(refused.status, 74)
        XCTAssertTrue(refused.stderr.contains("newer"), refused.stderr)
    }

    func testUserCommandsManageUsersAndTokens() throws {
        let db = ["--db", dir.file("users.sqlite")]
        XCTAssertEqual(try CommandRunner.run(["user", "add", "ops", "--role", "operator"] + db).status, 0)
        let weak = try CommandRunner.run(
            ["user", "add", "bob", "--role", "viewer"] + db, environment: ["FEATURE_EXTRACTOR_PASSWORD": "short"])
        XCTAssertNotEqual(weak.status, 0, "passwords under 12 characters are refused")
        XCTAssertEqual(try CommandRunner.run(["user", "grant", "ops", "--role", "admin"] + db).status, 0)
        XCTAssertEqual(try CommandRunner.run(["user", "disable", "ops"] + db).status, 0)
        let list = try CommandRunner.run(["user", "list", "--json"] + db)
        let users = try JSONSerialization.jsonObject(with: Data(list.stdout.utf8)) as! [[String: Any]]
        XCTAssertEqual(users.first?["role"] as? String, "admin")
        XCTAssertEqual(users.first?["disabled"] as? Bool, true)
        XCTAssertEqual(users.first.map { Set($0.keys) }, ["name", "role", "disabled", "created_at"], "docs/JSON.md's keys")
        let token = try CommandRunner.run(["user", "token", "ops"] + db)
        XCTAssertNotEqual(token.status, 0, "a disabled user gets no token")
        let audit = try CommandRunner.run(["audit", "list"] + db).stdout
        for action in ["user.add", "user.grant", "user.disable"] { XCTAssertTrue(audit.contains(action), action) }
    }

    func testTokensAreListedAndRevokedAndUsersEnabledAgain() throws {
        let db = ["--db", dir.file("tokens.sqlite")]
        XCTAssertEqual(try CommandRunner.run(["user", "add", "ops", "--role", "operator"] + db).status, 0)
        let token = try CommandRunner.run(["user", "token", "ops", "--label", "ci"] + db).stdout.trimmingCharacters(
            in: .whitespacesAndNewlines)
        let id = String(token.split(separator: "_")[1])
        func asOps() throws -> Int32 {
            try CommandRunner.run(["user", "list", "--username", "ops"] + db, environment: ["FEATURE_EXTRACTOR_TOKEN": token])
                .status
        }
        XCTAssertEqual(try asOps(), 0)
        XCTAssertEqual(try CommandRunner.run(["user", "disable", "ops"] + db).status, 0)
        XCTAssertEqual(try asOps(), 77, "a disabled user's token is refused")
        XCTAssertEqual(try CommandRunner.run(["user", "enable", "ops"] + db).status, 0)
        XCTAssertEqual(try asOps(), 0, "enabled again, the token works again")

        let listed = try CommandRunner.run(["user", "tokens", "ops"] + db)
        XCTAssertEqual(listed.status, 0, listed.stderr)
        XCTAssertTrue(
            listed.stdout.contains(id) && listed.stdout.contains("ci") && listed.stdout.contains("active"), listed.stdout)
        XCTAssertFalse(listed.stdout.contains(token), "only the public id is ever shown")
        let asJSON = try CommandRunner.run(["user", "tokens", "ops", "--json"] + db)
        let tokens = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(asJSON.stdout.utf8)) as? [[String: Any]])
        XCTAssertEqual(tokens.first?["id"] as? String, id)
        XCTAssertEqual(tokens.first?["label"] as? String, "ci")
        XCTAssertEqual(tokens.first?["revoked"] as? Bool, false)
        XCTAssertNotNil(tokens.first?["created_at"] as? String)
        XCTAssertFalse(asJSON.stdout.contains(token), "no key material as JSON either")

        let pasted = try CommandRunner.run(["user", "revoke-token", token] + db)
        XCTAssertEqual(pasted.status, 64, "a whole token is not accepted on the command line")
        XCTAssertFalse(
            pasted.stdout.contains(token) || pasted.stderr.contains(token), "the secret is not echoed: \(pasted.stderr)")
        XCTAssertEqual(try asOps(), 0)
        XCTAssertEqual(try CommandRunner.run(["user", "revoke-token", id] + db).status, 0)
        XCTAssertEqual(try asOps(), 77, "a revoked token is refused")
        XCTAssertTrue(try CommandRunner.run(["user", "tokens", "ops"] + db).stdout.contains("revoked"))
        let unknown = try CommandRunner.run(["user", "revoke-token", "0000abcd"] + db)
        XCTAssertEqual(unknown.status, 64, "an unknown id is a usage error, not ignored")
        XCTAssertTrue(unknown.stderr.contains("'0000abcd' not found"), unknown.stderr)

        let audit = try CommandRunner.run(["audit", "list"] + db).stdout
        for action in ["user.enable", "token.revoke"] { XCTAssertTrue(audit.contains(action), action) }
    }
}
