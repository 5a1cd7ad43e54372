import Foundation
import RemoteAuth

/// Hand-signed request headers (token id, timestamp, nonce, Ed25519 signature), for tests that
/// attack the server's checks by changing one part of an otherwise right request.
public enum SignedHeaders {
    /// `bodySHA256` defaults to the digest of `body`; `signature` replaces the real one.
    public static func make(
        token: String, method: String = "GET", authority: String, path: String, query: String = "", body: Data = Data(),
        bodySHA256: String? = nil, timestamp: String = String(Int(Date().timeIntervalSince1970)),
        nonce: String = RequestSigning.newNonce(), signature: String? = nil
    ) -> [String: String] {
        let parsed = APITokenText(parsing: token)
        let real = parsed?.signingKey.map { key in
            RequestSigning.requestSignature(
                key: key, method: method, authority: authority, path: path, query: query, timestamp: timestamp, nonce: nonce,
                bodySHA256: bodySHA256 ?? RequestSigning.sha256Hex(body))
        }
        return [
            RequestSigning.tokenIDHeader: parsed?.id ?? "", RequestSigning.timestampHeader: timestamp,
            RequestSigning.nonceHeader: nonce, RequestSigning.signatureHeader: signature ?? real ?? "",
        ]
    }
}
