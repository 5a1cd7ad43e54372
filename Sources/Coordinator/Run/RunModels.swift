import FeatureExtractorSupport
import Foundation
import PluginHost
import RemoteClient
import StateStore

/// Loading and saving the run's models: signed, verified and audited.
extension FeatureExtractionRun {
    /// A signed model, verified, with the SHA-256 of the bytes verified.
    func loadModel(_ location: String, audit: RunAuditor) throws -> (model: ModelFile, sha256: String) {
        let target = URLRedactor.redact(location)
        do {
            let trust = SQLiteTrustStore(store: env.store)
            let (model, signer, sha256): (ModelFile, String, String)
            if RemoteModels.isRemote(location) {
                guard let remote = env.remote else { throw RemoteError.invalidURL("\(target) (no token for remote access)") }
                (model, signer, sha256) = try RemoteModels.fetch(location, client: remote, trust: trust)
            } else {
                (model, signer, sha256) = try SignedModel.read(path: location, trust: trust)
            }
            try audit.record(
                "model.load", target: target, .success,
                ["role": model.role.rawValue, "plugin": model.pluginName, "signer": signer, "sha256": sha256])
            env.remoteLog?.log("model.load", ["target": target, "role": model.role.rawValue])
            return (model, sha256)
        } catch {
            try audit.record("model.load", target: target, .refused, ["reason": DisplayText.escaped("\(error)", limit: 500)])
            throw error
        }
    }

    /// Saves a signed model: staged beside a local destination, or staged in a temporary
    /// directory and uploaded (before any local output is committed) for a URL.
    func saveModel(_ model: ModelFile, to location: String, outputs: StagedOutputs, audit: RunAuditor) throws {
        guard let key = env.signingKey else {
            throw ProvenanceError.key(
                FeatureExtractorHome.localSigningKey(),
                "is missing: models are saved signed. Create it with 'feature-extractor keys generate --trust'")
        }
        let target = URLRedactor.redact(location)
        if RemoteModels.isRemote(location) {
            guard let remote = env.remote else { throw RemoteError.invalidURL("\(target) (no token for remote access)") }
            let (file, signature) = try outputs.stageTemporary()
            try SignedModel.write(model, to: file, signaturePath: signature, key: key)
            outputs.beforeCommit {
                try RemoteModels.upload(location, modelFile: file, signatureFile: signature, client: remote)
                try audit.record(
                    "model.save", target: target, .success,
                    ["role": model.role.rawValue, "plugin": model.pluginName, "signer": key.id])
            }
        } else {
            try SignedModel.write(
                model, to: try outputs.stage(location), signaturePath: try outputs.stage(location + ".sig"), key: key)
            let (role, plugin, signer) = (model.role.rawValue, model.pluginName, key.id)
            outputs.afterCommit {
                try audit.record("model.save", target: target, .success, ["role": role, "plugin": plugin, "signer": signer])
            }
        }
        let remoteLog = env.remoteLog, role = model.role.rawValue
        outputs.afterCommit { remoteLog?.log("model.save", ["target": target, "role": role]) }
    }
}
