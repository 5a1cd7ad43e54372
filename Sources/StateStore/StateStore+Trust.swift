import Crypto
import FeatureExtractorSupport
import Foundation
import GRDB

extension StateStore {
    /// Trusts a signing key, or trusts again (un-revokes) a key with the same id and public
    /// key, updating its name. The id must be a prefix of the hex SHA-256 of the raw key (as
    /// `PublicSigningKey.id` makes it: its first 16 digits), and a different public key under
    /// a known id is refused: a key id must never silently change meaning.
    public func trustKey(_ key: TrustedKey) throws {
        try Validation.checkKeyID(key.id)
        guard let raw = Data(base64Encoded: key.publicKey), raw.count == 32,
            (try? Curve25519.Signing.PublicKey(rawRepresentation: raw)) != nil
        else {
            throw StoreError.invalid(
                what: "public key of key \(key.id)", reason: "expected the base64 of a raw 32-byte Ed25519 public key")
        }
        guard SHA256.hash(data: raw).hex.hasPrefix(key.id) else {
            throw StoreError.invalid(
                what: "key \(key.id)", reason: "the id is not derived from the public key (a prefix of its SHA-256)")
        }
        try Validation.checkLabel(key.name, what: "name of key \(key.id)", allowEmpty: false)
        try write { db in
            if let existing = try TrustedKey.fetchOne(db, key: key.id) {
                guard existing.publicKey == key.publicKey else {
                    throw StoreError.invalid(
                        what: "key \(key.id)",
                        reason: "this id already names a different public key, and a key id must never change meaning")
                }
                try db.execute(
                    sql: "UPDATE trustedKey SET name = ?, revokedAt = NULL WHERE id = ?", arguments: [key.name, key.id])
            } else {
                try TrustedKey(
                    id: key.id, publicKey: key.publicKey, name: key.name,
                    addedAt: Timestamp.truncated(key.addedAt)
                ).insert(db)
            }
        }
    }

    /// Revokes a key: signatures by it are no longer accepted. Revoking twice keeps the first date.
    public func revokeKey(id: String) throws {
        try write { db in
            guard try TrustedKey.exists(db, key: id) else { throw StoreError.notFound(what: "key '\(id.prefix(64))'") }
            try db.execute(
                sql: "UPDATE trustedKey SET revokedAt = ? WHERE id = ? AND revokedAt IS NULL",
                arguments: [Timestamp.text(now()), id])
        }
    }

    /// Every key, revoked ones included (check `revokedAt`), by id.
    public func trustedKeys() throws -> [TrustedKey] {
        try read { db in try TrustedKey.order(Column("id")).fetchAll(db) }
    }

    public func trustedKey(id: String) throws -> TrustedKey? {
        try read { db in try TrustedKey.fetchOne(db, key: id) }
    }

    /// The highest manifest version seen for a plugin signed by a key, for anti-rollback.
    public func highestVersion(plugin: String, keyID: String) throws -> String? {
        try read { db in
            try String.fetchOne(
                db, sql: "SELECT version FROM pluginVersion WHERE plugin = ? AND keyID = ?",
                arguments: [plugin, keyID])
        }
    }

    /// Records a manifest version, keeping the highest by numeric MAJOR.MINOR.PATCH
    /// comparison (so 1.10.0 beats 1.9.0). The key must be in the trust store.
    public func recordVersion(plugin: String, keyID: String, version: String) throws {
        guard let new = SemanticVersion(version) else {
            throw StoreError.invalid(
                what: "version of plugin '\(plugin.prefix(64))'", reason: "expected MAJOR.MINOR.PATCH, e.g. 1.2.0")
        }
        guard !plugin.isEmpty, plugin.utf8.count <= 64 else {
            throw StoreError.invalid(what: "plugin name", reason: "use 1 to 64 characters")
        }
        try write { db in
            guard try TrustedKey.exists(db, key: keyID) else { throw StoreError.notFound(what: "key '\(keyID.prefix(64))'") }
            let current = try String.fetchOne(
                db, sql: "SELECT version FROM pluginVersion WHERE plugin = ? AND keyID = ?",
                arguments: [plugin, keyID])
            if let current, let old = SemanticVersion(current), old >= new { return }
            try db.execute(
                sql: """
                    INSERT INTO pluginVersion (plugin, keyID, version, updatedAt) VALUES (?, ?, ?, ?)
                    ON CONFLICT (plugin, keyID) DO UPDATE SET version = excluded.version, updatedAt = excluded.updatedAt
                    """, arguments: [plugin, keyID, version, Timestamp.text(now())])
        }
    }
}
