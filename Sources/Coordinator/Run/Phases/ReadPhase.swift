import PluginHost
import PluginProtocol
import RemoteClient

/// What the run reads before any plugin starts: the loaded models (signatures checked) and
/// the data, split, normalised and cut into windows.
struct RunInputs {
    var encoderModel: ModelFile?
    var decoderModel: ModelFile?
    var windowSize: Int
    var data: PreparedData
    /// SHA-256 of the loaded model files, as read (what a shard's report names).
    var encoderSHA256: String? = nil
    var decoderSHA256: String? = nil

    /// Training needs a decoder; features of a loaded encoder alone do not.
    var needDecoder: Bool { encoderModel == nil || decoderModel != nil }
}

extension FeatureExtractionRun {
    /// Refuses up front what could only fail at the end: an output that cannot be written, a
    /// model (binary and signed, with a `.sig` beside it) sent to standard output or a device, a
    /// model to save without the key that signs it, a remote model without a client, or a
    /// server to save to that does not answer (not the remote log: events it cannot deliver are spooled).
    func checkOutputsWritable() throws {
        let saves = [("save_encoder", config.saveEncoder), ("save_decoder", config.saveDecoder)]
        if let key = saves.first(where: { $0.1 != nil })?.0, env.signingKey == nil {
            throw ProvenanceError.key(
                FeatureExtractorHome.localSigningKey(),
                "is missing: \(key) saves a signed model, and this machine has no signing key. "
                    + "Create it with 'feature-extractor keys generate --trust' (nothing was trained)")
        }
        for (key, path) in saves {
            guard let path else { continue }
            if RemoteModels.isRemote(path) {
                guard env.remote != nil else {
                    throw RemoteError.invalidURL("\(URLRedactor.redact(path)) (\(key): no token for remote access)")
                }
                continue
            }
            guard case .file = try OutputDestination(path) else {
                throw ConfigurationError.invalid(
                    key: key,
                    reason: "a model is a binary, signed file with its signature beside it: give a file path, not '\(path)'")
            }
        }
        if let remote = env.remote {
            let uploads = saves.compactMap(\.1).filter(RemoteModels.isRemote) + [env.remoteSaveConfig].compactMap { $0 }
            var checked: Set<String> = []
            for url in uploads where checked.insert(TokenScope.origin(of: try RemoteClient.validate(url))).inserted {
                try remote.checkReachable(url)
            }
        }
        try StagedOutputs.checkWritable(
            [
                config.outputFile, config.evaluateEncoder, config.evaluateDecoder, config.saveEncoder,
                config.saveDecoder, config.saveConfig, config.saveLog, config.lossPlot,
            ].compactMap { $0 }
                .filter { !RemoteModels.isRemote($0) })
    }

    /// Models are read (and their signatures checked) before the data, so a bad file fails fast.
    func readInputs(audit: RunAuditor) throws -> RunInputs {
        let encoderLoad = try config.loadEncoder.map { try loadModel($0, audit: audit) }
        let decoderLoad = try config.loadDecoder.map { try loadModel($0, audit: audit) }
        let (encoderModel, encoderDigest) = (encoderLoad?.model, encoderLoad?.sha256)
        let (decoderModel, decoderDigest) = (decoderLoad?.model, decoderLoad?.sha256)
        if let e = encoderModel, let d = decoderModel, (e.windowSize, e.interfaceSize) != (d.windowSize, d.interfaceSize) {
            throw ModelMismatch(
                path: config.loadDecoder!,
                reason:
                    "window \(d.windowSize) / interface \(d.interfaceSize) does not fit the encoder's window \(e.windowSize) / interface \(e.interfaceSize)"
            )
        }
        let windowSize = encoderModel?.windowSize ?? config.windowSize
        if let e = encoderModel, e.windowSize != config.windowSize {
            env.info("using the model's window size \(e.windowSize) (the configuration says \(config.windowSize))")
        }
        let data: PreparedData
        if let rows, let stats = encoderModel?.normalization {
            data = try PreparedData.loadShard(
                config, selection: rows, windowSize: windowSize, modelStats: stats, batch: ResultWriters.evaluationBatch)
            let s = data.shard!
            env.info(
                "\(rows): rows \(s.rows.lowerBound):\(s.rows.upperBound) (read \(s.read.lowerBound):\(s.read.upperBound) with the windows' context)"
            )
        } else {
            data = try PreparedData.load(config, windowSize: windowSize, modelStats: encoderModel?.normalization, info: env.info)
        }
        env.info(
            "read \(data.input.rowCount) rows x \(data.input.columnNames.count) column(s) [\(data.input.columnNames.joined(separator: ", "))]: \(data.inputWindows.count) windows of \(windowSize)"
        )
        return RunInputs(
            encoderModel: encoderModel, decoderModel: decoderModel, windowSize: windowSize, data: data,
            encoderSHA256: encoderDigest, decoderSHA256: decoderDigest)
    }
}
