import FeatureExtractorSupport
import Foundation
import PluginProtocol

/// The provenance rules a plugin package must pass before it may start.
///
/// In order: a signature by a trusted, unrevoked key over the manifest's exact
/// bytes; the signing key is the manifest's publisher; not expired; a protocol
/// range that includes this coordinator's version; and no downgrade below the
/// highest version already accepted from that key (unless the operator allows it).
/// The executable's digest, pinned in the signed manifest, is checked by the locator.
public struct ManifestVerification {
    public var trust: TrustStore
    public var allowDowngrade: Bool
    public var now: Date

    public init(trust: TrustStore, allowDowngrade: Bool = false, now: Date = Date()) {
        self.trust = trust
        self.allowDowngrade = allowDowngrade
        self.now = now
    }

    /// Checks a parsed manifest and its exact bytes; returns the signing key's id.
    func verify(_ manifest: PluginManifest, bytes: Data, path: String) throws -> String {
        func refuse(_ reason: String) -> PluginError { .refused(path: path, reason: reason) }
        guard let signature = try DetachedSignature.read(for: path) else {
            throw refuse("is not signed (no \(PluginManifest.fileName).sig); sign it with 'feature-extractor plugin sign'")
        }
        do {
            _ = try signature.verify(bytes, kind: .manifest, path: path, trust: trust)
        } catch let ProvenanceError.untrusted(_, reason) {
            throw refuse(reason)
        }
        if let publisher = manifest.publisherKey, publisher != signature.keyID {
            throw refuse("names publisher key \(publisher) but is signed by key \(signature.keyID)")
        }
        if let expiry = manifest.expiryDate, expiry < now {
            throw refuse("expired on \(manifest.expires ?? "?"); ask its publisher for a current release")
        }
        let core = PluginProtocolVersion.current
        guard manifest.protocol.contains(core) else {
            throw refuse("speaks protocol \(manifest.protocol), this coordinator speaks \(core): incompatible version")
        }
        if let seen = try trust.highestVersion(plugin: manifest.name, keyID: signature.keyID),
            let seenVersion = SemanticVersion(seen), let version = SemanticVersion(manifest.version), version < seenVersion
        {
            guard allowDowngrade else {
                throw refuse(
                    "is version \(manifest.version), older than \(seen) already accepted from key \(signature.keyID): refusing a downgrade (pass --allow-downgrade to accept it)"
                )
            }
        }
        return signature.keyID
    }
}
