import Foundation
import GRDB

/// An API token as stored: everything but its keys (the public key and the key of response
/// MACs, in columns this record does not read; the private key is never stored).
public struct APIToken: Codable, Sendable, Equatable {
    /// The public part of the token text (`fe_<id>_<key>`): 8 lowercase hex digits.
    public var id: String
    public var userID: Int64
    public var label: String
    public var createdAt: Date
    public var expiresAt: Date?
    public var revoked: Bool

    public init(id: String, userID: Int64, label: String, createdAt: Date, expiresAt: Date? = nil, revoked: Bool = false) {
        self.id = id
        self.userID = userID
        self.label = label
        self.createdAt = createdAt
        self.expiresAt = expiresAt
        self.revoked = revoked
    }
}

extension APIToken: FetchableRecord, TableRecord {
    public static let databaseTableName = "apiToken"

    /// Never `SELECT *`: the keys stay out of every row a token is read from.
    public static var databaseSelection: [any SQLSelectable] {
        [Column("id"), Column("userID"), Column("label"), Column("createdAt"), Column("expiresAt"), Column("revoked")]
    }

    public static func databaseDateDecodingStrategy(for column: String) -> DatabaseDateDecodingStrategy {
        StoredDates.decoding
    }
}
