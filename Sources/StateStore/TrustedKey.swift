import Foundation
import GRDB

/// An Ed25519 public key whose signatures on plugin manifests the operator accepts.
public struct TrustedKey: Codable, Sendable, Equatable {
    /// Lowercase hex key id (how signatures name their key).
    public var id: String
    /// Base64 of the raw 32-byte Ed25519 public key.
    public var publicKey: String
    /// Who the key belongs to, for people.
    public var name: String
    public var addedAt: Date
    /// Set when revoked; signatures by a revoked key are no longer accepted.
    public var revokedAt: Date?

    public init(id: String, publicKey: String, name: String, addedAt: Date, revokedAt: Date? = nil) {
        self.id = id
        self.publicKey = publicKey
        self.name = name
        self.addedAt = addedAt
        self.revokedAt = revokedAt
    }
}

extension TrustedKey: FetchableRecord, PersistableRecord {
    public static let databaseTableName = "trustedKey"

    public static func databaseDateDecodingStrategy(for column: String) -> DatabaseDateDecodingStrategy {
        StoredDates.decoding
    }

    public static func databaseDateEncodingStrategy(for column: String) -> DatabaseDateEncodingStrategy {
        StoredDates.encoding
    }
}
