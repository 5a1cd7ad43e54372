import Crypto
import Foundation
import RemoteAuth
import StateStore

/// Checks a request's Ed25519 signature against its token's stored public key, for each of the
/// server's names (the request must have been signed for this server). Cheap and of one cost
/// whatever the token: an unknown id or a token from before key pairs is checked against a
/// fixed key that verifies nothing, so no slow hash is ever paid and the answer's timing says
/// nothing but what the public id already does.
struct TokenVerifier: Sendable {
    let store: StateStore
    let names: ServerNames

    enum Outcome {
        /// The signature is the token's: its user is read next (revoked, expired, disabled).
        case signed(responseKey: SymmetricKey)
        /// Refused: the reason for the audit entry, and the message the client gets.
        case refused(reason: String, message: String)
    }

    /// The public key an unknown or legacy token is checked against, for the same cost; the
    /// request is refused whatever the result (its seed is no secret).
    private static let standIn =
        (try? Curve25519.Signing.PrivateKey(rawRepresentation: Data(repeating: 0x5a, count: 32)))?.publicKey
        .rawRepresentation ?? Data(count: 32)

    func verify(tokenID: String, signature: String, canonical: (String) -> Data) throws -> Outcome {
        let keys = try store.tokenKeys(id: tokenID)
        guard case .keyPair(let publicKey, let responseKey) = keys else {
            _ = names.all.map { RequestSigning.isValidSignature(signature, publicKey: Self.standIn, canonical: canonical($0)) }
            return keys == nil
                ? .refused(reason: "unknown token \(tokenID)", message: "invalid token")
                : .refused(reason: StateStore.legacyTokenReason(tokenID), message: StateStore.legacyTokenReason(tokenID))
        }
        let signedForUs = names.all.contains { name in
            RequestSigning.isValidSignature(signature, publicKey: publicKey, canonical: canonical(name))
        }
        guard signedForUs else {
            let why = "bad request signature (altered, signed for another server or by another key)"
            return .refused(reason: "\(why) for token \(tokenID)", message: why)
        }
        return .signed(responseKey: SymmetricKey(data: responseKey))
    }
}
