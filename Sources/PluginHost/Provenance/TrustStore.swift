import Foundation

/// What the host needs to know about keys and versions to accept a plugin.
/// The coordinator backs it with its SQLite store; the host only asks.
public protocol TrustStore {
    /// The trusted key with this id, revoked ones included (so a refusal can say "revoked").
    func trustedKey(id: String) throws -> TrustedPublicKey?
    /// The highest manifest version accepted so far for a plugin from a key.
    func highestVersion(plugin: String, keyID: String) throws -> String?
    /// Remembers an accepted version (the store keeps the highest).
    func recordVersion(plugin: String, keyID: String, version: String) throws
}

public struct TrustedPublicKey: Sendable, Equatable {
    public var key: PublicSigningKey
    public var revoked: Bool

    public init(key: PublicSigningKey, revoked: Bool) {
        self.key = key
        self.revoked = revoked
    }
}

/// Why a signed artefact (plugin manifest, model, key) is not accepted.
public enum ProvenanceError: Error, Equatable, CustomStringConvertible {
    case key(String, String)
    case untrusted(path: String, reason: String)

    public var description: String {
        switch self {
        case .key(let path, let why): "key \(path) \(why)"
        case .untrusted(let path, let why): "\(path): \(why)"
        }
    }
}
