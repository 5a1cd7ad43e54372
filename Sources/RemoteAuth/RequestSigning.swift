import Crypto
import FeatureExtractorSupport
import Foundation

/// How requests and responses between the CLI and `feature-extractor serve` are bound
/// to their content, time and a one-time nonce, so a captured exchange cannot be
/// replayed or altered.
///
/// Request: `X-FE-Timestamp` (Unix seconds), `X-FE-Nonce` (32 hex digits, random),
/// `X-FE-Signature` = HMAC-SHA256 over
/// `"FE-REQUEST-V2\n" + method + "\n" + authority + "\n" + path + "\n" + query + "\n" + timestamp + "\n" + nonce + "\n" + sha256(body)`,
/// where `authority` is the server the client meant (`host:port`, see `authority(host:port:)`): a
/// request captured by another host cannot be replayed to this one.
/// Response: `X-FE-Response-Signature` = HMAC-SHA256 over
/// `"FE-RESPONSE-V1\n" + nonce + "\n" + status + "\n" + sha256(body)`.
/// The key is derived from the caller's API token with HKDF, so both sides hold it
/// and it never travels on its own.
public enum RequestSigning {
    public static let timestampHeader = "X-FE-Timestamp"
    public static let nonceHeader = "X-FE-Nonce"
    public static let signatureHeader = "X-FE-Signature"
    public static let responseSignatureHeader = "X-FE-Response-Signature"

    /// How far a request's timestamp may be from the server's clock, either way.
    public static let window: TimeInterval = 300

    public static func key(token: String) -> SymmetricKey {
        HKDF<SHA256>.deriveKey(
            inputKeyMaterial: SymmetricKey(data: Data(token.utf8)),
            info: Data("feature-extractor request mac v1".utf8), outputByteCount: 32)
    }

    public static func requestMAC(
        key: SymmetricKey, method: String, authority: String, path: String, query: String,
        timestamp: String, nonce: String, body: Data
    ) -> String {
        requestMAC(
            key: key, method: method, authority: authority, path: path, query: query, timestamp: timestamp, nonce: nonce,
            bodySHA256: sha256Hex(body))
    }

    /// The same MAC from the body's digest: the server checks an upload's headers against the
    /// digest it claims before reading the body, then checks the body against that digest.
    public static func requestMAC(
        key: SymmetricKey, method: String, authority: String, path: String, query: String,
        timestamp: String, nonce: String, bodySHA256: String
    ) -> String {
        let text = ["FE-REQUEST-V2", method, authority, path, query, timestamp, nonce, bodySHA256].joined(separator: "\n")
        return Data(HMAC<SHA256>.authenticationCode(for: Data(text.utf8), using: key)).hex
    }

    /// A server as signatures name it: the host in lower case (an IPv6 literal in brackets) and
    /// the port, always explicit (443 when a URL has none).
    public static func authority(host: String, port: Int?) -> String {
        let h = host.lowercased()
        let shown = h.contains(":") && !h.hasPrefix("[") ? "[\(h)]" : h
        return "\(shown):\(port ?? 443)"
    }

    /// A SHA-256 as requests carry it: 64 lower-case hex digits.
    public static func isWellFormedDigest(_ d: String) -> Bool {
        d.utf8.count == 64 && d.utf8.allSatisfy { (48...57).contains($0) || (97...102).contains($0) }
    }

    public static func responseMAC(key: SymmetricKey, nonce: String, status: Int, body: Data) -> String {
        let text = ["FE-RESPONSE-V1", nonce, String(status), sha256Hex(body)].joined(separator: "\n")
        return Data(HMAC<SHA256>.authenticationCode(for: Data(text.utf8), using: key)).hex
    }

    /// Compares MACs in constant time.
    public static func equal(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8), y = Array(b.utf8)
        guard x.count == y.count else { return false }
        var diff: UInt8 = 0
        for i in 0..<x.count { diff |= x[i] ^ y[i] }
        return diff == 0
    }

    public static func newNonce() -> String {
        SymmetricKey(size: .bits128).withUnsafeBytes { Data($0) }.hex
    }

    /// A nonce as the server accepts it: 32 lower-case hex digits.
    public static func isWellFormedNonce(_ n: String) -> Bool {
        n.utf8.count == 32 && n.utf8.allSatisfy { (48...57).contains($0) || (97...102).contains($0) }
    }

    public static func sha256Hex(_ data: Data) -> String { SHA256.hash(data: data).hex }
}

/// The server's API, named in one place for both sides.
public enum RemoteAPI {
    public static let prefix = "/v1"
    /// Names of configs and models: safe in paths and files.
    public static func isValidName(_ name: String) -> Bool {
        Identifier.isValid(name, punctuation: "_.-")
    }
}
