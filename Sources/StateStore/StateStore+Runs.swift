import Foundation
import GRDB

extension StateStore {
    /// Records the start of a run and returns its id.
    public func beginRun(actor: String, command: String) throws -> Int64 {
        try write { db in
            try db.execute(
                sql: "INSERT INTO run (actor, command, startedAt) VALUES (?, ?, ?)",
                arguments: [actor, command, Timestamp.text(now())])
            return db.lastInsertedRowID
        }
    }

    /// Records how a run ended. A run is finished once.
    public func finishRun(_ id: Int64, outcome: String, seconds: Double, rows: Int, bytes: Int) throws {
        guard seconds.isFinite, seconds >= 0, rows >= 0, bytes >= 0 else {
            throw StoreError.invalid(what: "run \(id) figures", reason: "seconds, rows and bytes must be finite and not negative")
        }
        try write { db in
            try db.execute(
                sql: """
                    UPDATE run SET finishedAt = ?, outcome = ?, seconds = ?, rows = ?, bytes = ?
                    WHERE id = ? AND finishedAt IS NULL
                    """, arguments: [Timestamp.text(now()), outcome, seconds, rows, bytes, id])
            guard db.changesCount == 1 else {
                guard try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM run WHERE id = ?)", arguments: [id]) ?? false
                else {
                    throw StoreError.notFound(what: "run \(id)")
                }
                throw StoreError.invalid(what: "run \(id)", reason: "it is already finished")
            }
        }
    }

    /// Stores a run's merged configuration (JSON text; the caller guarantees it holds no
    /// secrets) with where its values came from, and returns its SHA-256 in hex. Identical
    /// configurations are stored once.
    @discardableResult
    public func recordConfiguration(run: Int64, json: String, sources: [String]) throws -> String {
        let digest = sha256Hex(json)
        try write { db in
            try db.execute(
                sql: "INSERT OR IGNORE INTO configuration (digest, json, createdAt) VALUES (?, ?, ?)",
                arguments: [digest, json, Timestamp.text(now())])
            try db.execute(
                sql: "UPDATE run SET configDigest = ?, configSources = ? WHERE id = ?",
                arguments: [digest, CanonicalJSON.encode(sources), run])
            guard db.changesCount == 1 else { throw StoreError.notFound(what: "run \(run)") }
        }
        return digest
    }

    /// The configuration recorded for a run, or nil if none was.
    public func configuration(run: Int64) throws -> StoredConfiguration? {
        try read { db in
            guard
                let row = try Row.fetchOne(
                    db,
                    sql: """
                        SELECT configuration.digest, configuration.json, run.configSources
                        FROM run JOIN configuration ON configuration.digest = run.configDigest
                        WHERE run.id = ?
                        """, arguments: [run])
            else { return nil }
            let sources =
                try row.decode(String?.self, forColumn: "configSources")
                .flatMap { try? JSONDecoder().decode([String].self, from: Data($0.utf8)) } ?? []
            return StoredConfiguration(
                digest: try row.decode(String.self, forColumn: "digest"),
                json: try row.decode(String.self, forColumn: "json"), sources: sources)
        }
    }

    /// Stores a run's training statistics, in the given order (appending to earlier ones).
    public func recordStatistics(run: Int64, _ rows: [RunStatistic]) throws {
        try write { db in
            guard try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM run WHERE id = ?)", arguments: [run]) ?? false else {
                throw StoreError.notFound(what: "run \(run)")
            }
            let start =
                try Int.fetchOne(
                    db, sql: "SELECT COALESCE(MAX(position) + 1, 0) FROM runStatistic WHERE runID = ?",
                    arguments: [run]) ?? 0
            for (offset, statistic) in rows.enumerated() {
                try StatisticInsertion(runID: run, position: start + offset, statistic: statistic).insert(db)
            }
        }
    }

    /// The most recent runs, newest first.
    public func runs(limit: Int) throws -> [RunRecord] {
        guard limit >= 0 else { throw StoreError.invalid(what: "limit", reason: "must be 0 or more") }
        return try read { db in
            try RunRecord.fetchAll(db, sql: "SELECT * FROM run ORDER BY id DESC LIMIT ?", arguments: [limit])
        }
    }

    /// A run's statistics, in the order they were recorded.
    public func statistics(run: Int64) throws -> [RunStatistic] {
        try read { db in
            try RunStatistic.fetchAll(
                db, sql: "SELECT * FROM runStatistic WHERE runID = ? ORDER BY position",
                arguments: [run])
        }
    }
}

/// A ``RunStatistic`` with the columns that tie it to its run.
private struct StatisticInsertion: PersistableRecord {
    static let databaseTableName = "runStatistic"
    var runID: Int64
    var position: Int
    var statistic: RunStatistic

    func encode(to container: inout PersistenceContainer) throws {
        try statistic.encode(to: &container)
        container["runID"] = runID
        container["position"] = position
    }
}
