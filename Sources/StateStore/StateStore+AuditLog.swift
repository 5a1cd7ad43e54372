import Crypto
import Foundation
import GRDB
import RemoteAuth

extension StateStore {
    /// Appends an entry to the audit log and returns it.
    ///
    /// The entry's id, the previous hash and the write happen in one IMMEDIATE transaction,
    /// so concurrent appenders (threads, or other processes on the same file) wait for each
    /// other and still form a single chain. Throws ``StoreError/auditKeyMissing(path:)``
    /// rather than write an entry that could not be authenticated, and refuses events that
    /// contain something shaped like an API token (log the token id instead).
    @discardableResult
    public func append(_ event: AuditEvent) throws -> AuditEntry {
        guard let key = auditKey.key else {
            throw StoreError.auditKeyMissing(path: auditKeyPath)
        }
        let texts = [event.actor, event.action, event.target] + event.details.keys + event.details.values
        guard !texts.contains(where: APITokenText.appears(in:)) else {
            throw StoreError.invalid(what: "audit event", reason: "it contains an API token; record the token's id instead")
        }
        guard !event.actor.isEmpty, !event.action.isEmpty else {
            throw StoreError.invalid(what: "audit event", reason: "actor and action must not be empty")
        }
        let details = CanonicalJSON.encode(event.details)
        let detailsDigest = sha256Hex(details)
        return try write { db in
            let last = try Row.fetchOne(db, sql: "SELECT id, hash FROM auditEntry ORDER BY id DESC LIMIT 1")
            let id = try (last?.decode(Int64.self, forColumn: "id") ?? 0) + 1
            let previousHash = try last?.decode(String.self, forColumn: "hash") ?? AuditChain.genesis
            let timestamp = Timestamp.truncated(now())
            let hash = AuditChain.hash(
                .init(
                    previousHash: previousHash, id: id, timestamp: Timestamp.text(timestamp), actor: event.actor,
                    action: event.action, target: event.target, outcome: event.outcome.rawValue, detailsDigest: detailsDigest))
            let entry = AuditEntry(
                id: id, timestamp: timestamp, actor: event.actor, action: event.action, target: event.target,
                outcome: event.outcome, detailsDigest: detailsDigest, details: details, previousHash: previousHash,
                hash: hash, mac: AuditChain.mac(hash: hash, key: key))
            try entry.insert(db)
            return entry
        }
    }

    /// The entries matching `filter`, oldest first. With a limit, the most recent ones.
    public func entries(_ filter: AuditFilter = AuditFilter()) throws -> [AuditEntry] {
        if let limit = filter.limit, limit < 0 {
            throw StoreError.invalid(what: "limit", reason: "must be 0 or more")
        }
        return try read { db in
            var request = AuditEntry.all()
            if let actor = filter.actor { request = request.filter(Column("actor") == actor) }
            if let action = filter.action { request = request.filter(Column("action") == action) }
            if let since = filter.since { request = request.filter(Column("timestamp") >= Timestamp.text(since)) }
            if let until = filter.until { request = request.filter(Column("timestamp") < Timestamp.text(until)) }
            guard let limit = filter.limit else {
                return try request.order(Column("id")).fetchAll(db)
            }
            return try request.order(Column("id").desc).limit(limit).fetchAll(db).reversed()
        }
    }

    /// Checks the whole log: ids 1, 2, 3, ... without a gap, each `previousHash` equal to the
    /// previous entry's `hash`, each `detailsDigest` and `hash` matching the stored content,
    /// each `mac` valid under the audit key. Returns the first entry that fails, or the
    /// count and the head hash.
    ///
    /// The chain alone cannot see the removal of the LAST entries (what remains is a valid,
    /// shorter chain). An `anchor` recorded elsewhere earlier (a ticket, another machine)
    /// closes that gap: its entry must still be there with the same hash.
    public func verify(anchor: AuditAnchor? = nil) throws -> AuditVerification {
        try read { db in
            let cursor = try Row.fetchCursor(
                db,
                sql: """
                    SELECT id, timestamp, actor, action, target, outcome, detailsDigest, details, previousHash, hash, mac
                    FROM auditEntry ORDER BY id
                    """)
            var expectedID: Int64 = 1
            var previousHash = AuditChain.genesis
            while let row = try cursor.next() {
                if let problem = problem(with: row, expectedID: expectedID, previousHash: previousHash) {
                    return problem
                }
                previousHash = Self.text(row, "hash") ?? ""
                if let anchor, anchor.count == expectedID, anchor.head != previousHash {
                    return .broken(
                        entryID: expectedID,
                        reason:
                            "entry \(expectedID)'s hash is not the recorded anchor's (\(anchor)): the log was rewritten from there"
                    )
                }
                expectedID += 1
            }
            let count = Int(expectedID - 1)
            if let anchor, anchor.count > count {
                return .broken(
                    entryID: Int64(count + 1),
                    reason:
                        "the log ends at entry \(count) but the recorded anchor is entry \(anchor.count): entries \(count + 1) to \(anchor.count) were removed"
                )
            }
            if let anchor, anchor.count == 0, anchor.head != AuditChain.genesis {
                return .broken(entryID: 0, reason: "anchor 0 must have the genesis head (64 zeros)")
            }
            return .intact(count: count, head: previousHash)
        }
    }

    /// What is wrong with one entry, checked in the order that names the most likely cause.
    private func problem(with row: Row, expectedID: Int64, previousHash: String) -> AuditVerification? {
        guard let id = try? row.decode(Int64.self, forColumn: "id") else {
            return .broken(entryID: expectedID, reason: "entry \(expectedID) has no valid id")
        }
        if id != expectedID {
            let missing =
                id - 1 == expectedID ? "entry \(expectedID) is missing" : "entries \(expectedID) to \(id - 1) are missing"
            return .broken(entryID: id, reason: missing)
        }
        guard let timestamp = Self.text(row, "timestamp"), let actor = Self.text(row, "actor"),
            let action = Self.text(row, "action"), let target = Self.text(row, "target"),
            let outcome = Self.text(row, "outcome"), let detailsDigest = Self.text(row, "detailsDigest"),
            let details = Self.text(row, "details"), let storedPrevious = Self.text(row, "previousHash"),
            let hash = Self.text(row, "hash"), let mac = Self.text(row, "mac")
        else {
            return .broken(entryID: id, reason: "entry \(id) has a missing or non-text field")
        }
        guard let key = auditKey.key else {
            return .broken(
                entryID: id, reason: "the audit key \(auditKeyPath) is missing or unusable, so no entry can be authenticated")
        }
        if storedPrevious != previousHash {
            return .broken(
                entryID: id,
                reason: id == 1
                    ? "entry 1 does not start the chain (its previous hash is not 64 zeros)"
                    : "entry \(id)'s previous hash does not match entry \(id - 1)'s hash (entries removed, reordered or edited)")
        }
        if sha256Hex(details) != detailsDigest {
            return .broken(entryID: id, reason: "entry \(id)'s details do not match their digest (edited)")
        }
        let expected = AuditChain.hash(
            .init(
                previousHash: storedPrevious, id: id, timestamp: timestamp, actor: actor, action: action, target: target,
                outcome: outcome, detailsDigest: detailsDigest))
        if expected != hash {
            return .broken(entryID: id, reason: "entry \(id)'s hash does not match its contents (edited)")
        }
        if !AuditChain.isValid(mac: mac, hash: hash, key: key) {
            return .broken(entryID: id, reason: "entry \(id)'s MAC is not valid under the audit key (written without the key)")
        }
        return nil
    }

    /// A text column of a row that may have been tampered with: nil if NULL or not text.
    private static func text(_ row: Row, _ column: String) -> String? {
        guard case let .string(text)? = (try? row.decode(DatabaseValue.self, forColumn: column))?.storage else { return nil }
        return text
    }
}
