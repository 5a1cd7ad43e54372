import Crypto
import FeatureExtractorSupport
import Foundation

/// How an audit entry's `hash` and `mac` are computed.
///
/// `hash` = SHA-256 over the entry's fields, each written as its UTF-8 byte count (8 bytes,
/// big-endian) followed by its bytes, after a version tag. The length prefixes make the
/// encoding unambiguous (no choice of field values can make two different entries encode
/// the same), and `previousHash` being one of the fields chains each entry to the one
/// before it: editing, deleting or reordering entries changes a hash that a later entry
/// (or the recomputation) no longer matches.
///
/// The chain alone can be recomputed by anyone who can write the file, so each `hash` is
/// also authenticated: `mac` = HMAC-SHA256(audit key, hash). Without the key, a rewritten
/// chain cannot carry valid MACs.
enum AuditChain {
    /// The `previousHash` of the first entry.
    static let genesis = String(repeating: "0", count: 64)
    private static let tag = "feature-extractor audit entry v1"

    struct Fields {
        var previousHash: String
        var id: Int64
        var timestamp: String
        var actor: String
        var action: String
        var target: String
        var outcome: String
        var detailsDigest: String
    }

    static func hash(_ fields: Fields) -> String {
        var bytes: [UInt8] = []
        for field in [
            tag, fields.previousHash, String(fields.id), fields.timestamp, fields.actor, fields.action,
            fields.target, fields.outcome, fields.detailsDigest,
        ] {
            let utf8 = Array(field.utf8)
            withUnsafeBytes(of: UInt64(utf8.count).bigEndian) { bytes.append(contentsOf: $0) }
            bytes.append(contentsOf: utf8)
        }
        return SHA256.hash(data: bytes).hex
    }

    static func mac(hash: String, key: SymmetricKey) -> String {
        Data(HMAC<SHA256>.authenticationCode(for: Data(hash.utf8), using: key)).hex
    }

    /// Checks a MAC in constant time.
    static func isValid(mac: String, hash: String, key: SymmetricKey) -> Bool {
        constantTimeEquals(Array(mac.utf8), Array(self.mac(hash: hash, key: key).utf8))
    }
}
