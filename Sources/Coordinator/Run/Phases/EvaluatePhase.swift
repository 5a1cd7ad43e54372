/// What the evaluation phase produced: the reconstruction metrics, the encoding speed and
/// the staged output files (committed with everything else at the end).
struct EvaluationOutcome {
    var metrics: [ColumnMetrics] = []
    var encodeWindowsPerSecond: Double?
    var written: [String] = []
    /// Each written output's staged file (what is committed), for a shard's digests.
    var staged: [(path: String, file: String)] = []
}

extension FeatureExtractionRun {
    /// Features of the input (and of the evaluation data), and reconstructions with their
    /// errors against the window mean and PCA of the same size.
    func evaluate(_ model: Autoencoder, _ data: PreparedData, baseline: PCABaseline?, outputs: StagedOutputs) throws
        -> EvaluationOutcome
    {
        let writers = ResultWriters(model: model, batch: ResultWriters.evaluationBatch)
        var outcome = EvaluationOutcome()
        let shard = data.shard
        func stage(_ path: String) throws -> String {
            let file = try outputs.stage(path)
            outcome.written.append(path)
            outcome.staged.append((path, file))
            return file
        }
        /// The windows a features output encodes (a shard's only), and the encoder processes for them.
        func work(_ table: TimeSeriesTable, _ windows: WindowCatalog) -> (windows: Int, processes: Int) {
            let encoded = shard.map { $0.featureWindows.count * table.columnNames.count } ?? windows.count
            return (encoded, EncodeProcesses.count(configured: config.encodeProcesses, windows: encoded, batch: writers.batch))
        }
        if let path = config.outputFile {
            let (encoded, processes) = work(data.input, data.inputWindows)
            let seconds = try writers.writeFeatures(
                data.inputWindows, table: data.input, forceDate: config.forceDate, processes: processes, to: try stage(path),
                windows: shard?.featureWindows, origin: shard?.origin ?? 0, writesHeader: shard?.writesHeader ?? true)
            outcome.encodeWindowsPerSecond = Double(encoded) / max(seconds, 1e-9)
        }
        if let path = config.evaluateEncoder {
            let processes = work(data.evaluation, data.evaluationWindows).processes
            try writers.writeFeatures(
                data.evaluationWindows, table: data.evaluation, forceDate: config.forceDate, processes: processes,
                to: try stage(path), windows: shard?.featureWindows, origin: shard?.origin ?? 0,
                writesHeader: shard?.writesHeader ?? true)
        }
        if model.decoder != nil {
            outcome.metrics = try writers.reconstruct(
                data.evaluationWindows, table: data.evaluation, stats: data.stats,
                pcaBaseline: try baseline?.windowMSE(rank: model.interfaceSize, on: data.evaluationWindows),
                forceDate: config.forceDate, to: try config.evaluateDecoder.map { try stage($0) },
                decoded: shard?.reconstructionWindows, origin: shard?.origin ?? 0, rows: shard?.reconstructionRows,
                writesHeader: shard?.writesHeader ?? true)
        }
        return outcome
    }
}
