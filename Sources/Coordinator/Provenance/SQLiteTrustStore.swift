import Foundation
import PluginHost
import StateStore

/// The `TrustStore` the coordinator hands the host, backed by the SQLite store: trusted keys and
/// the highest plugin versions accepted (for anti-rollback).
public struct SQLiteTrustStore: TrustStore {
    public let store: StateStore

    public init(store: StateStore) {
        self.store = store
    }

    public func trustedKey(id: String) throws -> TrustedPublicKey? {
        guard let k = try store.trustedKey(id: id), let raw = Data(base64Encoded: k.publicKey) else { return nil }
        return TrustedPublicKey(key: PublicSigningKey(raw: raw, name: k.name), revoked: k.revokedAt != nil)
    }

    public func highestVersion(plugin: String, keyID: String) throws -> String? {
        try store.highestVersion(plugin: plugin, keyID: keyID)
    }

    public func recordVersion(plugin: String, keyID: String, version: String) throws {
        try store.recordVersion(plugin: plugin, keyID: keyID, version: version)
    }
}
