import Crypto
import FeatureExtractorSupport
import Foundation

/// The text form of an API token: `fe_<id>_<key>`, where `id` is 8 lowercase hex digits
/// (public: it names the token in listings, requests and audit entries) and `key` is the
/// token's Ed25519 private key (its 32-byte seed) in unpadded base64url (43 characters). Only
/// its holder has the key: the server stores the public half, and requests carry a signature,
/// never the key. The prefix makes leaked tokens easy to find with secret scanners.
public struct APITokenText: Sendable {
    public var id: String
    public var secret: String

    public var text: String { "fe_\(id)_\(secret)" }

    public static func random() -> APITokenText {
        let idBytes = SymmetricKey(size: SymmetricKeySize(bitCount: 32)).withUnsafeBytes { Array($0) }
        return APITokenText(id: idBytes.hex, secret: base64URL(Curve25519.Signing.PrivateKey().rawRepresentation))
    }

    /// Parses a token exactly; nil for anything else (no trimming, no other case).
    public init?(parsing text: String) {
        let bytes = Array(text.utf8)
        guard bytes.count == 3 + 8 + 1 + 43, bytes.starts(with: Array("fe_".utf8)), bytes[11] == UInt8(ascii: "_"),
            bytes[3..<11].allSatisfy(Self.isHexDigit), bytes[12...].allSatisfy(Self.isBase64URL)
        else { return nil }
        self.init(id: String(decoding: bytes[3..<11], as: UTF8.self), secret: String(decoding: bytes[12...], as: UTF8.self))
    }

    public init(id: String, secret: String) {
        self.id = id
        self.secret = secret
    }

    /// The private key the secret encodes (its 32 bytes; the last character's 2 spare bits are
    /// ignored, as base64 decoders do); nil when the secret is not 43 base64url characters.
    public var signingKey: Curve25519.Signing.PrivateKey? {
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8)
        var bits: UInt32 = 0, count = 0
        var seed = [UInt8]()
        for c in secret.utf8 {
            guard let value = alphabet.firstIndex(of: c) else { return nil }
            bits = bits << 6 | UInt32(value)
            count += 6
            if count >= 8 {
                count -= 8
                seed.append(UInt8(truncatingIfNeeded: bits >> UInt32(count)))
                bits &= (1 << UInt32(count)) - 1
            }
        }
        guard secret.utf8.count == 43, seed.count == 32 else { return nil }
        return try? Curve25519.Signing.PrivateKey(rawRepresentation: seed)
    }

    /// Whether `text` contains something shaped like a token, to keep tokens out of the log.
    public static func appears(in text: String) -> Bool {
        let bytes = Array(text.utf8)
        guard bytes.count >= 55 else { return false }
        for start in 0...(bytes.count - 55) where bytes[start] == UInt8(ascii: "f") {
            if APITokenText(parsing: String(decoding: bytes[start..<start + 55], as: UTF8.self)) != nil {
                return true
            }
        }
        return false
    }

    public static func isHexDigit(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || (UInt8(ascii: "a")...UInt8(ascii: "f")).contains(byte)
    }

    private static func isBase64URL(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte) || (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte)
            || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || byte == UInt8(ascii: "-") || byte == UInt8(ascii: "_")
    }

    private static func base64URL(_ data: Data) -> String {
        data.base64EncodedString()
            .replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }
}
