import Crypto
import FeatureExtractorSupport
import Foundation

/// The text form of an API token: `fe_<id>_<secret>`, where `id` is 8 lowercase hex digits
/// (public: it names the token in listings and audit entries) and `secret` is 32 random
/// bytes in unpadded base64url (43 characters). The prefix makes leaked tokens easy to
/// find with secret scanners.
struct APITokenText {
    var id: String
    var secret: String

    var text: String { "fe_\(id)_\(secret)" }

    static func random() -> APITokenText {
        let idBytes = SymmetricKey(size: SymmetricKeySize(bitCount: 32)).withUnsafeBytes { Array($0) }
        let secretBytes = SymmetricKey(size: .bits256).withUnsafeBytes { Data($0) }
        let secret = secretBytes.base64EncodedString()
            .replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
        return APITokenText(id: idBytes.hex, secret: secret)
    }

    /// Parses a token exactly; nil for anything else (no trimming, no other case).
    init?(parsing text: String) {
        let bytes = Array(text.utf8)
        guard bytes.count == 3 + 8 + 1 + 43, bytes.starts(with: Array("fe_".utf8)), bytes[11] == UInt8(ascii: "_"),
            bytes[3..<11].allSatisfy(Self.isHexDigit), bytes[12...].allSatisfy(Self.isBase64URL)
        else { return nil }
        self.init(id: String(decoding: bytes[3..<11], as: UTF8.self), secret: String(decoding: bytes[12...], as: UTF8.self))
    }

    init(id: String, secret: String) {
        self.id = id
        self.secret = secret
    }

    /// Whether `text` contains something shaped like a token, to keep tokens out of the log.
    static func appears(in text: String) -> Bool {
        let bytes = Array(text.utf8)
        guard bytes.count >= 55 else { return false }
        for start in 0...(bytes.count - 55) where bytes[start] == UInt8(ascii: "f") {
            if APITokenText(parsing: String(decoding: bytes[start..<start + 55], as: UTF8.self)) != nil {
                return true
            }
        }
        return false
    }

    static func isHexDigit(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || (UInt8(ascii: "a")...UInt8(ascii: "f")).contains(byte)
    }

    private static func isBase64URL(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte) || (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte)
            || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || byte == UInt8(ascii: "-") || byte == UInt8(ascii: "_")
    }
}
