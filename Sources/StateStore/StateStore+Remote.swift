import Foundation
import GRDB

/// A config version as the server stores it.
public struct RemoteConfigRecord: Codable, Sendable, Equatable {
    public var name: String
    public var version: Int
    public var json: String
    public var sha256: String
    public var author: String
    public var createdAt: Date
}

/// A model version as the server stores it (its bytes live content-addressed on disk).
public struct RemoteModelRecord: Codable, Sendable, Equatable {
    public var name: String
    public var version: String
    public var sha256: String
    /// The model's detached signature file, as text.
    public var signature: String
    public var size: Int
    public var author: String
    public var createdAt: Date

    public init(name: String, version: String, sha256: String, signature: String, size: Int, author: String, createdAt: Date) {
        self.name = name
        self.version = version
        self.sha256 = sha256
        self.signature = signature
        self.size = size
        self.author = author
        self.createdAt = createdAt
    }
}

extension StateStore {
    static func date(_ text: String) throws -> Date {
        guard let d = Timestamp.date(text: text) else { throw StoreError.corrupt(path: "remote tables", detail: "bad timestamp") }
        return d
    }

    /// Remembers a request nonce until `expiresAt`; false when it was already seen (a replay).
    /// Expired nonces are forgotten on the way, so the table stays as small as the window.
    public func rememberNonce(_ nonce: String, expiresAt: Date, now: Date = Date()) throws -> Bool {
        try write { db in
            try db.execute(sql: "DELETE FROM requestNonce WHERE expiresAt < ?", arguments: [Timestamp.text(now)])
            guard (try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM requestNonce WHERE nonce = ?", arguments: [nonce]) ?? 0) == 0
            else {
                return false
            }
            try db.execute(
                sql: "INSERT INTO requestNonce (nonce, expiresAt) VALUES (?, ?)", arguments: [nonce, Timestamp.text(expiresAt)])
            return true
        }
    }

    /// Stores a new version of a named config (1, 2, ...) and returns it.
    public func putRemoteConfig(name: String, json: String, sha256: String, author: String) throws -> RemoteConfigRecord {
        try write { db in
            let next =
                (try Int.fetchOne(db, sql: "SELECT MAX(version) FROM remoteConfig WHERE name = ?", arguments: [name]) ?? 0) + 1
            let record = RemoteConfigRecord(
                name: name, version: next, json: json, sha256: sha256, author: author,
                createdAt: Timestamp.truncated(now()))
            try db.execute(
                sql: "INSERT INTO remoteConfig (name, version, json, sha256, author, createdAt) VALUES (?, ?, ?, ?, ?, ?)",
                arguments: [name, next, json, sha256, author, Timestamp.text(record.createdAt)])
            return record
        }
    }

    /// A config's given version, or its latest.
    public func remoteConfig(name: String, version: Int?) throws -> RemoteConfigRecord? {
        try read { db in
            let row: Row?
            if let version {
                row = try Row.fetchOne(
                    db, sql: "SELECT * FROM remoteConfig WHERE name = ? AND version = ?", arguments: [name, version])
            } else {
                row = try Row.fetchOne(
                    db, sql: "SELECT * FROM remoteConfig WHERE name = ? ORDER BY version DESC LIMIT 1", arguments: [name])
            }
            return try row.map { r in
                RemoteConfigRecord(
                    name: r["name"], version: r["version"], json: r["json"], sha256: r["sha256"], author: r["author"],
                    createdAt: try Self.date(r["createdAt"]))
            }
        }
    }

    /// Registers a model version. The same version again with the same digest is accepted
    /// (an idempotent retry); with another digest it is refused: versions never change content.
    public func putRemoteModel(_ m: RemoteModelRecord) throws {
        try write { db in
            if let existing = try String.fetchOne(
                db, sql: "SELECT sha256 FROM remoteModel WHERE name = ? AND version = ?",
                arguments: [m.name, m.version])
            {
                guard existing == m.sha256 else {
                    throw StoreError.invalid(
                        what: "model \(m.name) \(m.version)", reason: "this version already exists with other content")
                }
                return
            }
            try db.execute(
                sql: """
                    INSERT INTO remoteModel (name, version, sha256, signature, size, author, createdAt) VALUES (?, ?, ?, ?, ?, ?, ?)
                    """, arguments: [m.name, m.version, m.sha256, m.signature, m.size, m.author, Timestamp.text(now())])
        }
    }

    public func remoteModel(name: String, version: String) throws -> RemoteModelRecord? {
        try read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM remoteModel WHERE name = ? AND version = ?", arguments: [name, version]).map
            { r in
                RemoteModelRecord(
                    name: r["name"], version: r["version"], sha256: r["sha256"], signature: r["signature"], size: r["size"],
                    author: r["author"], createdAt: try Self.date(r["createdAt"]))
            }
        }
    }

    /// Every stored model's digest, each once: what `serve --check-storage` holds the files to.
    public func remoteModelDigests() throws -> Set<String> {
        try read { db in Set(try String.fetchAll(db, sql: "SELECT DISTINCT sha256 FROM remoteModel")) }
    }

    /// Stores log events a run sent (each a JSON object as text).
    public func appendRemoteLogs(actor: String, events: [String]) throws {
        try write { db in
            let at = Timestamp.text(now())
            for e in events {
                try db.execute(
                    sql: "INSERT INTO remoteLogEvent (actor, receivedAt, event) VALUES (?, ?, ?)", arguments: [actor, at, e])
            }
        }
    }

    public func remoteLogEvents(limit: Int = 1000) throws -> [String] {
        try read { db in try String.fetchAll(db, sql: "SELECT event FROM remoteLogEvent ORDER BY id LIMIT ?", arguments: [limit])
        }
    }

    /// Keeps a log batch that could not be delivered, for the next run. The spool is bounded:
    /// past `limit` entries the oldest are dropped, and the count dropped is returned.
    @discardableResult
    public func spool(url: String, payload: String, limit: Int = 10_000) throws -> Int {
        try write { db in
            try db.execute(
                sql: "INSERT INTO spooledEvent (url, payload, createdAt) VALUES (?, ?, ?)",
                arguments: [url, payload, Timestamp.text(now())])
            let count = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM spooledEvent") ?? 0
            guard count > limit else { return 0 }
            try db.execute(
                sql: "DELETE FROM spooledEvent WHERE id IN (SELECT id FROM spooledEvent ORDER BY id LIMIT ?)",
                arguments: [count - limit])
            return count - limit
        }
    }

    public func spooled(limit: Int = 1000) throws -> [(id: Int64, url: String, payload: String)] {
        try read { db in
            try Row.fetchAll(db, sql: "SELECT id, url, payload FROM spooledEvent ORDER BY id LIMIT ?", arguments: [limit])
                .map { (id: $0["id"], url: $0["url"], payload: $0["payload"]) }
        }
    }

    public func removeSpooled(_ ids: [Int64]) throws {
        guard !ids.isEmpty else { return }
        try write { db in
            for id in ids { try db.execute(sql: "DELETE FROM spooledEvent WHERE id = ?", arguments: [id]) }
        }
    }
}
