import Foundation

/// What the server holds of a token to check a request's signature (``StateStore/tokenKeys(id:)``).
public enum TokenKeys: Sendable, Equatable {
    /// The token's Ed25519 public key (32 bytes) and the HMAC key of the server's answers to it.
    case keyPair(publicKey: Data, responseKey: Data)
    /// Issued before tokens were key pairs: only a hash of its secret was kept (dropped since),
    /// so it cannot sign; it is refused with ``StateStore/legacyTokenReason(_:)``.
    case legacy
}
