import PluginHost
import PluginProtocol

extension FeatureExtractionRun {
    /// The run summary (the report line, `--save-log`, the audit store's statistics).
    func summarize(
        _ model: Autoencoder, _ data: PreparedData, debug: (encoder: [String: JSONValue], decoder: [String: JSONValue]?),
        training: TrainingOutcome, evaluation: EvaluationOutcome, outputs: [String], startedAt stamp: String
    ) throws -> RunSummary {
        func summary(_ p: any PluginChannel, _ setup: ConfigureResult?, _ debug: [String: JSONValue]) -> PluginSummary {
            PluginSummary(
                name: p.info!.name, version: p.info!.version, transport: p.info!.transport.rawValue,
                parameterCount: setup?.parameterCount, parameters: setup?.parameters ?? [:], debugInfo: debug,
                peakRSSKilobytes: p.peakRSSKilobytes)
        }
        return RunSummary(
            startedAt: stamp, executionSeconds: 0, configuration: try ConfigurationLoader.asObject(config),
            encoder: summary(model.encoder, model.encoderSetup, debug.encoder),
            decoder: model.decoder.map { summary($0, model.decoderSetup, debug.decoder ?? [:]) },
            training: training.results, search: training.search, interfaceSize: model.interfaceSize,
            windows: data.inputWindows.count, metrics: evaluation.metrics,
            encodeWindowsPerSecond: evaluation.encodeWindowsPerSecond,
            coordinatorPeakRSSKilobytes: Self.peakRSSKilobytes(), outputs: outputs,
            rows: data.input.rowCount + (config.validationFile != nil ? data.evaluation.rowCount : 0),
            bytes: [config.inputFile, config.validationFile].compactMap { $0 }.reduce(0) { $0 + Self.fileSize($1) })
    }
}
