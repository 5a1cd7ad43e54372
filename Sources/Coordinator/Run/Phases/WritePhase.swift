import PluginHost
import PluginProtocol
import RemoteClient

extension FeatureExtractionRun {
    /// Stages the signed models and the configuration (local files, or uploads that run just
    /// before the local outputs are committed). Returns what will be written.
    func writeModelsAndConfig(
        _ model: Autoencoder, _ data: PreparedData, createdAt stamp: String, outputs: StagedOutputs,
        audit: RunAuditor
    ) throws -> [String] {
        var written: [String] = []
        let state = (config.saveEncoder != nil || config.saveDecoder != nil) ? try model.exportState() : nil
        let digest = try config.inputFile.map(FileDigest.sha256Hex(path:))
        func modelFile(_ role: PluginRole, _ plugin: any PluginChannel, _ setup: ConfigureResult?, _ s: ModelState) -> ModelFile {
            ModelFile(
                role: role, pluginName: plugin.info!.name, pluginVersion: plugin.info!.version, windowSize: model.windowSize,
                interfaceSize: model.interfaceSize, parameters: setup?.parameters ?? [:], normalization: data.stats,
                createdAt: stamp, trainingDataSHA256: digest, state: s)
        }
        if let path = config.saveEncoder, let s = state?.encoder {
            try saveModel(modelFile(.encoder, model.encoder, model.encoderSetup, s), to: path, outputs: outputs, audit: audit)
            written.append(path)
        }
        if let path = config.saveDecoder, let s = state?.decoder, let d = model.decoder {
            try saveModel(modelFile(.decoder, d, model.decoderSetup, s), to: path, outputs: outputs, audit: audit)
            written.append(path)
        }
        if let path = config.saveConfig {
            try ConfigurationLoader.save(config, to: try outputs.stage(path))
            outputs.afterCommit { try audit.record("config.save", target: path, .success) }
            written.append(path)
        }
        if let url = env.remoteSaveConfig, let remote = env.remote {
            let target = URLRedactor.redact(url)
            let config = self.config
            outputs.beforeCommit {
                let version = try RemoteConfiguration.save(config, to: url, client: remote)
                try audit.record("config.save", target: target, .success, ["version": String(version)])
            }
            written.append(target)
        }
        return written
    }
}
