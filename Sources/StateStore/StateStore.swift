import Foundation
import GRDB

/// All persistent state of feature-extractor in one SQLite database: users, API tokens and
/// permissions, runs with their configurations and statistics, the trust store for signed
/// plugins, and the append-only, tamper-evident audit log.
///
/// One instance wraps one GRDB `DatabaseQueue`. Several instances, in one process or many,
/// may use the same file: every write is one IMMEDIATE transaction, and SQLite's lock
/// (waited for up to the busy timeout) serialises them.
public final class StateStore: Sendable {
    /// The database file.
    public let path: String
    let database: DatabaseQueue
    /// The audit key as found at opening (see ``AuditKey``).
    let auditKey: AuditKey
    let auditKeyPath: String
    /// The clock; tests replace it to reach expiry dates without waiting.
    let now: @Sendable () -> Date

    private init(path: String, database: DatabaseQueue, auditKey: AuditKey, now: @escaping @Sendable () -> Date) {
        self.path = path
        self.database = database
        self.auditKey = auditKey
        self.auditKeyPath = AuditKey.path(forDatabase: path)
        self.now = now
    }

    /// Opens (creating if needed) the database: file and its -wal/-shm and the key file mode
    /// 0600, WAL journal, foreign keys on, busy timeout `busyTimeout` seconds, then migrates.
    ///
    /// Refuses, before migrating or writing any data:
    /// - a database made by a newer version (unknown migration applied): ``StoreError/newerSchema(path:unknown:)``;
    /// - a corrupt file (not a database, or failing `PRAGMA quick_check`): ``StoreError/corrupt(path:detail:)``;
    /// - a read-only file, directory or file system: ``StoreError/readOnly(path:)``;
    /// - a lock held longer than `busyTimeout` by another process, when opening has to
    ///   write (create, migrate): ``StoreError/locked(path:)``. Later writes report it the same way.
    public static func open(path: String, busyTimeout: Double = 5) throws -> StateStore {
        try open(path: path, busyTimeout: busyTimeout, now: { Date() })
    }

    static func open(path: String, busyTimeout: Double, now: @escaping @Sendable () -> Date) throws -> StateStore {
        guard !path.isEmpty, path != ":memory:", !path.hasPrefix("file:") else {
            throw StoreError.invalid(
                what: "database path '\(path)'", reason: "must be the path of a file (the audit key lives beside it)")
        }
        guard busyTimeout.isFinite, busyTimeout >= 0 else {
            throw StoreError.invalid(what: "busy timeout", reason: "must be a number of seconds, 0 or more")
        }
        try DatabaseFiles.prepare(path)
        return try DatabaseFiles.whileSettingUp(path, timeout: busyTimeout) {
            do {
                let database = try DatabaseQueue(path: path, configuration: configuration(busyTimeout: busyTimeout))
                DatabaseFiles.restrictModes(path)
                try checkIntegrity(database, path: path)
                try migrate(database, path: path)
                let key = try prepareAuditKey(database, path: path)
                return StateStore(path: path, database: database, auditKey: key, now: now)
            } catch {
                throw StoreError.wrapping(error, path: path)
            }
        }
    }

    private static func configuration(busyTimeout: Double) -> Configuration {
        var configuration = Configuration()
        configuration.label = "StateStore"
        configuration.journalMode = .wal
        configuration.foreignKeysEnabled = true
        configuration.busyMode = .timeout(busyTimeout)
        configuration.prepareDatabase { db in
            // The file may have been edited by someone else: do not let its schema (triggers,
            // views) call functions with side effects.
            try db.execute(sql: "PRAGMA trusted_schema = OFF")
            // Deleted content (old password hashes, revoked tokens' hashes) is overwritten.
            try db.execute(sql: "PRAGMA secure_delete = ON")
        }
        return configuration
    }

    /// `PRAGMA quick_check`: catches damaged pages and indexes in time linear in the file
    /// size (milliseconds for this store's sizes), before anything is written on top.
    private static func checkIntegrity(_ database: DatabaseQueue, path: String) throws {
        let problems = try database.read { db in
            try String.fetchAll(db, sql: "PRAGMA quick_check(3)")
        }
        guard problems == ["ok"] else {
            throw StoreError.corrupt(path: path, detail: "integrity check failed: " + problems.joined(separator: "; "))
        }
    }

    /// Refuses a newer schema, then applies the missing steps.
    private static func migrate(_ database: DatabaseQueue, path: String) throws {
        let migrator = StateStoreMigrations.migrator
        let (superseded, complete) = try database.read { db in
            (try migrator.hasBeenSuperseded(db), try migrator.hasCompletedMigrations(db))
        }
        if superseded {
            let unknown = try database.read { db in
                try migrator.appliedIdentifiers(db).subtracting(migrator.migrations).sorted()
            }
            throw StoreError.newerSchema(path: path, unknown: unknown)
        }
        guard !complete else { return }
        try migrator.migrate(database)
    }

    /// Loads the audit key, creating one while the log is still empty (a new database, or
    /// one made by hand or by an earlier step). With entries already written, a missing key
    /// is never replaced: `append` and `verify` report it instead.
    private static func prepareAuditKey(_ database: DatabaseQueue, path: String) throws -> AuditKey {
        let keyPath = AuditKey.path(forDatabase: path)
        let found = AuditKey.load(path: keyPath)
        if case .present = found { return found }
        return try database.write { db -> AuditKey in
            let hasEntries = try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM auditEntry)") ?? false
            // Read again under the write lock: another process may have created it meanwhile.
            let current = AuditKey.load(path: keyPath)
            if hasEntries { return current }
            if case .present = current { return current }
            return .present(try AuditKey.create(path: keyPath))
        }
    }

    /// Runs `body` in a read transaction, with errors an operator can act on.
    func read<T>(_ body: (Database) throws -> T) throws -> T {
        do {
            return try database.read(body)
        } catch {
            throw StoreError.wrapping(error, path: path)
        }
    }

    /// Runs `body` in an IMMEDIATE write transaction (it takes the write lock at once, so
    /// what it reads cannot change before it writes), with errors an operator can act on.
    func write<T>(_ body: (Database) throws -> T) throws -> T {
        do {
            return try database.write(body)
        } catch {
            throw StoreError.wrapping(error, path: path)
        }
    }
}
