import FeatureExtractorSupport
import Foundation
import PluginHost
import RemoteAuth

/// Model files with a detached signature (`<model>.sig`) over their digest.
///
/// The whole file is signed, so the metadata in its header (plugin, sizes,
/// normalisation) is covered too. Loading checks the signature against trusted
/// keys before anything in the file is parsed or reaches a plugin.
enum SignedModel {
    static let maxBytes = 2 << 30

    /// Writes the model and its signature (both atomically, to the paths given).
    static func write(_ model: ModelFile, to path: String, signaturePath: String, key: SigningKey) throws {
        let bytes = try model.serialized()
        let writer = try AtomicFileWriter(path: path)
        try bytes.withUnsafeBytes { try writer.write($0) }
        try writer.commit()
        let sig = try DetachedSignature.sign(Data(bytes), kind: .model, with: key).encoded()
        let sigWriter = try AtomicFileWriter(path: signaturePath)
        try sig.withUnsafeBytes { try sigWriter.write($0) }
        try sigWriter.commit()
    }

    /// Reads a model whose signature verifies with a trusted key.
    static func read(path: String, trust: TrustStore) throws -> (model: ModelFile, signer: String, sha256: String) {
        let bytes = try DataError.reading { () throws(FileError) in
            try BoundedFile.read(path: path, maxBytes: maxBytes, what: "a model file")
        }
        if KerasModelFile.matches(path: path, bytes: bytes) { throw KerasModelFile.notSupported(path) }
        guard let signature = try DetachedSignature.read(for: path) else {
            throw ProvenanceError.untrusted(path: path, reason: "has no signature (\(path).sig); only signed models are loaded")
        }
        let data = Data(bytes)
        _ = try signature.verify(data, kind: .model, path: path, trust: trust)
        return (try ModelFile.parse(bytes, source: path), signature.keyID, RequestSigning.sha256Hex(data))
    }
}
