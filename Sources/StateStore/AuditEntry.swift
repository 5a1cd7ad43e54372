import Foundation
import GRDB

/// One row of the append-only audit log.
///
/// `hash` chains the entry to the previous one (see ``AuditChain``) and `mac` authenticates
/// that hash with the audit key, so that editing, deleting, reordering or rewriting entries
/// is detected by ``StateStore/verify()``.
public struct AuditEntry: Codable, Sendable, Equatable {
    /// 1, 2, 3, ... with no gap.
    public var id: Int64
    /// Stored as ISO-8601 text with milliseconds, UTC; the hash covers that text.
    public var timestamp: Date
    public var actor: String
    public var action: String
    public var target: String
    public var outcome: AuditOutcome
    /// SHA-256 (hex) of `details`.
    public var detailsDigest: String
    /// The details as canonical JSON: an object of strings, keys sorted.
    public var details: String
    /// The previous entry's `hash`, or 64 zeros for the first entry.
    public var previousHash: String
    public var hash: String
    /// HMAC-SHA256 (hex) of `hash` under the audit key.
    public var mac: String

    /// The details decoded (empty if the stored text is not a JSON object of strings).
    public var detailsDictionary: [String: String] {
        (try? JSONDecoder().decode([String: String].self, from: Data(details.utf8))) ?? [:]
    }
}

extension AuditEntry: FetchableRecord, PersistableRecord {
    public static let databaseTableName = "auditEntry"

    public static func databaseDateDecodingStrategy(for column: String) -> DatabaseDateDecodingStrategy {
        StoredDates.decoding
    }

    public static func databaseDateEncodingStrategy(for column: String) -> DatabaseDateEncodingStrategy {
        StoredDates.encoding
    }
}
