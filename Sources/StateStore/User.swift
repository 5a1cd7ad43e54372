import Foundation
import GRDB

/// A person or service account. The password hash lives in the same table but is never
/// part of this record, so it cannot leak through an API that returns users.
public struct User: Codable, Sendable, Equatable {
    public var id: Int64?
    public var name: String
    public var role: Role
    public var disabled: Bool
    public var createdAt: Date

    public init(id: Int64? = nil, name: String, role: Role, disabled: Bool = false, createdAt: Date) {
        self.id = id
        self.name = name
        self.role = role
        self.disabled = disabled
        self.createdAt = createdAt
    }
}

extension User: FetchableRecord, TableRecord {
    public static let databaseTableName = "user"

    /// Never `SELECT *`: the password hash stays out of every row a user is read from (and
    /// so out of any decoding error that quotes the row).
    public static var databaseSelection: [any SQLSelectable] {
        [Column("id"), Column("name"), Column("role"), Column("disabled"), Column("createdAt")]
    }

    public static func databaseDateDecodingStrategy(for column: String) -> DatabaseDateDecodingStrategy {
        StoredDates.decoding
    }
}
