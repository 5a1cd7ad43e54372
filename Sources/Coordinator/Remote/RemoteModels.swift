import Foundation
import PluginHost
import RemoteAuth
import RemoteClient

/// Models kept on `feature-extractor serve`, by name and version, with their signatures.
enum RemoteModels {
    static func isRemote(_ location: String) -> Bool { location.contains("://") }

    /// Downloads a model; its digest and then its signature (by a trusted key) are
    /// checked before anything in it is parsed.
    static func fetch(_ url: String, client: RemoteClient, trust: TrustStore) throws -> (
        model: ModelFile, signer: String, sha256: String
    ) {
        let response = try client.send("GET", url, idempotent: true)
        let source = URLRedactor.redact(url)
        guard response.header("X-FE-Content-SHA256") == RequestSigning.sha256Hex(response.body) else {
            throw RemoteError.integrity("the model from \(source) does not match its digest (truncated or altered)")
        }
        guard let text = response.header("X-FE-Model-Signature"), let sigData = Data(base64Encoded: text),
            let signature = try? JSONDecoder().decode(DetachedSignature.self, from: sigData)
        else {
            throw ProvenanceError.untrusted(path: source, reason: "comes without a signature; only signed models are loaded")
        }
        _ = try signature.verify(response.body, kind: .model, path: source, trust: trust)
        return (
            try ModelFile.parse(Array(response.body), source: source), signature.keyID, RequestSigning.sha256Hex(response.body)
        )
    }

    /// Uploads a signed model (idempotent: a version's content never changes).
    static func upload(_ url: String, modelFile: String, signatureFile: String, client: RemoteClient) throws {
        let bytes = try Data(contentsOf: URL(fileURLWithPath: modelFile))
        let signature = try Data(contentsOf: URL(fileURLWithPath: signatureFile))
        _ = try client.send(
            "PUT", url, body: bytes,
            headers: [
                "Content-Type": "application/octet-stream",
                "X-FE-Content-SHA256": RequestSigning.sha256Hex(bytes),
                "X-FE-Model-Signature": signature.base64EncodedString(),
            ], idempotent: true)
    }
}
