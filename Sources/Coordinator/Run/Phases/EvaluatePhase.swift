/// What the evaluation phase produced: the reconstruction metrics, the encoding speed and
/// the staged output files (committed with everything else at the end).
struct EvaluationOutcome {
    var metrics: [ColumnMetrics] = []
    var encodeWindowsPerSecond: Double?
    var written: [String] = []
}

extension FeatureExtractionRun {
    /// Features of the input (and of the evaluation data), and reconstructions with their
    /// errors against the window mean and PCA of the same size.
    func evaluate(_ model: Autoencoder, _ data: PreparedData, baseline: PCABaseline?, outputs: StagedOutputs) throws
        -> EvaluationOutcome
    {
        let writers = ResultWriters(model: model, batch: 4096)
        var outcome = EvaluationOutcome()
        if let path = config.outputFile {
            let processes = EncodeProcesses.count(
                configured: config.encodeProcesses, windows: data.inputWindows.count, batch: writers.batch)
            let seconds = try writers.writeFeatures(
                data.inputWindows, table: data.input, forceDate: config.forceDate, processes: processes,
                to: try outputs.stage(path))
            outcome.encodeWindowsPerSecond = Double(data.inputWindows.count) / max(seconds, 1e-9)
            outcome.written.append(path)
        }
        if let path = config.evaluateEncoder {
            let processes = EncodeProcesses.count(
                configured: config.encodeProcesses, windows: data.evaluationWindows.count, batch: writers.batch)
            try writers.writeFeatures(
                data.evaluationWindows, table: data.evaluation, forceDate: config.forceDate, processes: processes,
                to: try outputs.stage(path))
            outcome.written.append(path)
        }
        if model.decoder != nil {
            outcome.metrics = try writers.reconstruct(
                data.evaluationWindows, table: data.evaluation, stats: data.stats,
                pcaBaseline: try baseline?.windowMSE(rank: model.interfaceSize, on: data.evaluationWindows),
                forceDate: config.forceDate, to: try config.evaluateDecoder.map { try outputs.stage($0) })
            if let path = config.evaluateDecoder { outcome.written.append(path) }
        }
        return outcome
    }
}
