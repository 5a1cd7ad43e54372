import AuditStore
import Foundation
import PluginHost

/// Loading and saving the run's models: signed, verified and audited.
extension FeatureExtractionRun {
    func loadModel(_ path: String, audit: RunAuditor) throws -> ModelFile {
        do {
            let (model, signer) = try SignedModel.read(path: path, trust: StoreTrust(store: env.store))
            try audit.record("model.load", target: path, .success, ["role": model.role.rawValue, "plugin": model.pluginName, "signer": signer])
            return model
        } catch {
            try audit.record("model.load", target: path, .refused, ["reason": Sanitizer.clean("\(error)", limit: 500)])
            throw error
        }
    }

    func saveModel(_ model: ModelFile, to path: String, outputs: StagedOutputs, audit: RunAuditor) throws {
        guard let key = env.signingKey else {
            throw ProvenanceError.key(FeatureExtractorHome.localSigningKey(), "is missing: models are saved signed. Create it with 'feature-extractor keys generate --trust'")
        }
        let staged = outputs.stage(path)
        try SignedModel.write(model, to: staged, signaturePath: outputs.stage(path + ".sig"), key: key)
        try audit.record("model.save", target: path, .success, ["role": model.role.rawValue, "plugin": model.pluginName, "signer": key.id])
    }
}
