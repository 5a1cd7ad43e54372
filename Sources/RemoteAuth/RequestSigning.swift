import Crypto
import FeatureExtractorSupport
import Foundation

/// How requests and responses between the CLI and `feature-extractor serve` are bound
/// to their content, time and a one-time nonce, so a captured exchange cannot be
/// replayed or altered, and how a request proves its token without the token travelling.
///
/// Request: `X-FE-Token-ID` (the token's public id), `X-FE-Timestamp` (Unix seconds),
/// `X-FE-Nonce` (32 hex digits, random), `X-FE-Signature` = the Ed25519 signature (128 hex
/// digits) by the token's private key over
/// `"FE-REQUEST-V2\n" + method + "\n" + authority + "\n" + path + "\n" + query + "\n" + timestamp + "\n" + nonce + "\n" + sha256(body)`,
/// where `authority` is the server the client meant (`host:port`, see `authority(host:port:)`): a
/// request captured by another host cannot be replayed to this one. The server holds only the
/// public key, so neither a captured request nor the server's database lets anyone sign.
/// Response: `X-FE-Response-Signature` = HMAC-SHA256 over
/// `"FE-RESPONSE-V1\n" + nonce + "\n" + status + "\n" + sha256(body)`, keyed by
/// `responseKey(token:)`, which the server stores beside the public key: it authenticates answers,
/// and cannot sign a request.
public enum RequestSigning {
    public static let tokenIDHeader = "X-FE-Token-ID"
    public static let timestampHeader = "X-FE-Timestamp"
    public static let nonceHeader = "X-FE-Nonce"
    public static let signatureHeader = "X-FE-Signature"
    public static let responseSignatureHeader = "X-FE-Response-Signature"

    /// How far a request's timestamp may be from the server's clock, either way.
    public static let window: TimeInterval = 300

    /// The key of response MACs, derived one way from the token (the server stores it, never the token).
    public static func responseKey(token: String) -> SymmetricKey {
        HKDF<SHA256>.deriveKey(
            inputKeyMaterial: SymmetricKey(data: Data(token.utf8)),
            info: Data("feature-extractor response mac v2".utf8), outputByteCount: 32)
    }

    /// The text a request signature covers (`FE-REQUEST-V2`).
    public static func canonicalRequest(
        method: String, authority: String, path: String, query: String, timestamp: String, nonce: String,
        bodySHA256: String
    ) -> Data {
        Data(["FE-REQUEST-V2", method, authority, path, query, timestamp, nonce, bodySHA256].joined(separator: "\n").utf8)
    }

    /// The request's signature, in hex, by the token's private key.
    public static func requestSignature(
        key: Curve25519.Signing.PrivateKey, method: String, authority: String, path: String, query: String,
        timestamp: String, nonce: String, bodySHA256: String
    ) -> String {
        let text = canonicalRequest(
            method: method, authority: authority, path: path, query: query, timestamp: timestamp, nonce: nonce,
            bodySHA256: bodySHA256)
        // Only fails on a broken platform RNG or key; an empty signature is then refused by any server.
        return ((try? key.signature(for: text)).map { Data($0).hex }) ?? ""
    }

    /// Whether `signature` (hex) is `publicKey`'s over `canonical`; false for any malformed input.
    public static func isValidSignature(_ signature: String, publicKey: Data, canonical: Data) -> Bool {
        guard let bytes = Data(hexSignature: signature),
            let key = try? Curve25519.Signing.PublicKey(rawRepresentation: publicKey)
        else { return false }
        return key.isValidSignature(bytes, for: canonical)
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

extension Data {
    /// 128 lower-case hex digits (an Ed25519 signature); nil for anything else.
    fileprivate init?(hexSignature text: String) {
        let digits = Array(text.utf8)
        guard digits.count == 128 else { return nil }
        var bytes = [UInt8]()
        bytes.reserveCapacity(64)
        for i in stride(from: 0, to: 128, by: 2) {
            guard let high = Self.nibble(digits[i]), let low = Self.nibble(digits[i + 1]) else { return nil }
            bytes.append(high << 4 | low)
        }
        self.init(bytes)
    }

    private static func nibble(_ c: UInt8) -> UInt8? {
        switch c {
        case 48...57: c - 48
        case 97...102: c - 87
        default: nil
        }
    }
}

/// The server's API, named in one place for both sides.
public enum RemoteAPI {
    public static let prefix = "/v1"
    /// Names of configs and models: safe in paths and files.
    public static func isValidName(_ name: String) -> Bool {
        Identifier.isValid(name, punctuation: "_.-")
    }
}
