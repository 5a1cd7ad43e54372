import Crypto
import FeatureExtractorSupport
import Foundation

/// A detached Ed25519 signature file (`<file>.sig`): which key signed, and the signature.
///
/// What is signed is a domain-separated statement, not the raw bytes alone, so a
/// signature made for a manifest can never pass as one for a model:
/// `"feature-extractor <kind> v1\n" + sha256(file bytes) hex`.
public struct DetachedSignature: Codable, Sendable, Equatable {
    public var algorithm = "ed25519"
    public var keyID: String
    public var signature: String

    enum CodingKeys: String, CodingKey { case algorithm, keyID = "key_id", signature }

    public enum Kind: String, Sendable { case manifest = "plugin-manifest", model }

    public static func statement(_ kind: Kind, digest: String) -> Data {
        Data("feature-extractor \(kind.rawValue) v1\n\(digest)".utf8)
    }

    public static func sign(_ bytes: Data, kind: Kind, with key: SigningKey) throws -> DetachedSignature {
        let sig = try key.sign(statement(kind, digest: sha256Hex(bytes)))
        return DetachedSignature(keyID: key.id, signature: sig.base64EncodedString())
    }

    public func encoded() throws -> Data {
        let e = JSONEncoder()
        e.outputFormatting = [.prettyPrinted, .sortedKeys]
        return try e.encode(self) + Data("\n".utf8)
    }

    /// Reads `<path>.sig`; nil when there is none.
    public static func read(for path: String) throws -> DetachedSignature? {
        let sigPath = path + ".sig"
        guard FileManager.default.fileExists(atPath: sigPath) else { return nil }
        guard
            let s = try? JSONDecoder().decode(DetachedSignature.self, from: try PluginLocator.readLimited(sigPath, limit: 4096)),
            s.algorithm == "ed25519"
        else {
            throw ProvenanceError.untrusted(path: sigPath, reason: "is not an ed25519 signature file")
        }
        return s
    }

    /// Checks `bytes` against this signature with a key from `trust`; the error says exactly what failed.
    public func verify(_ bytes: Data, kind: Kind, path: String, trust: TrustStore) throws -> PublicSigningKey {
        guard let trusted = try trust.trustedKey(id: keyID) else {
            throw ProvenanceError.untrusted(
                path: path,
                reason:
                    "is signed by unknown key \(keyID.prefix(16)); trust it with 'feature-extractor keys trust' if you know it")
        }
        guard !trusted.revoked else {
            throw ProvenanceError.untrusted(path: path, reason: "is signed by revoked key \(keyID) (\(trusted.key.name))")
        }
        guard let sig = Data(base64Encoded: signature),
            trusted.key.isValidSignature(sig, for: Self.statement(kind, digest: Self.sha256Hex(bytes)))
        else {
            throw ProvenanceError.untrusted(
                path: path, reason: "has a bad signature: it was changed after signing, or the signature is not for it")
        }
        return trusted.key
    }

    public static func sha256Hex(_ data: Data) -> String {
        SHA256.hash(data: data).hex
    }
}
