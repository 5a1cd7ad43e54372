import Crypto
import CryptoExtras
import Foundation

/// Salted slow hashes of passwords, stored as self-describing text (tokens are key pairs, no hash):
/// `pbkdf2-sha512$<rounds>$<salt base64>$<hash base64>`.
///
/// PBKDF2-HMAC-SHA512 at 210,000 rounds is OWASP's recommendation for PBKDF2 (SHA-256
/// would need 600,000 for the same margin, three times slower for us). The text names the
/// algorithm and rounds so that a later version can raise them and still verify old hashes;
/// `pbkdf2-sha256` hashes are verified too.
enum PasswordHash {
    static let algorithm = "pbkdf2-sha512"
    static let rounds = 210_000
    private static let saltBytes = 16
    private static let hashBytes = 64

    /// A well-formed hash that no secret matches, verified against when there is no real
    /// hash (unknown user or token) so that the failure takes as long as a wrong secret.
    static let unmatchable =
        "\(algorithm)$\(rounds)$\(Data(count: saltBytes).base64EncodedString())$"
        + Data(count: hashBytes).base64EncodedString()

    static func make(_ secret: String) throws -> String {
        let salt = SymmetricKey(size: .bits128).withUnsafeBytes { Data($0) }
        let hash = try derive(secret, salt: salt, function: .sha512, rounds: rounds, count: hashBytes)
        return "\(algorithm)$\(rounds)$\(salt.base64EncodedString())$\(hash.base64EncodedString())"
    }

    /// True when `secret` matches `stored`; false for a wrong secret or a malformed `stored`.
    static func verify(_ secret: String, against stored: String) -> Bool {
        let parts = stored.split(separator: "$", omittingEmptySubsequences: false)
        guard parts.count == 4, let rounds = Int(parts[1]), rounds >= 210_000, rounds <= 10_000_000,
            let salt = Data(base64Encoded: String(parts[2])), salt.count >= 16,
            let expected = Data(base64Encoded: String(parts[3])), expected.count >= 32, expected.count <= 64
        else { return false }
        let function: KDF.Insecure.PBKDF2.HashFunction
        switch parts[0] {
        case "pbkdf2-sha512": function = .sha512
        case "pbkdf2-sha256": function = .sha256
        default: return false
        }
        guard let actual = try? derive(secret, salt: salt, function: function, rounds: rounds, count: expected.count)
        else { return false }
        return constantTimeEquals(actual, expected)
    }

    private static func derive(
        _ secret: String, salt: Data, function: KDF.Insecure.PBKDF2.HashFunction,
        rounds: Int, count: Int
    ) throws -> Data {
        let key = try KDF.Insecure.PBKDF2.deriveKey(
            from: Data(secret.utf8), salt: salt, using: function,
            outputByteCount: count, rounds: rounds)
        return key.withUnsafeBytes { Data($0) }
    }
}
