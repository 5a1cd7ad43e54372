import AuditStore
import FeatureExtractorSupport
import Foundation
import PluginHost
import RemoteClient
import PluginProtocol

/// One run of the tool: read data, start the plugins, train (or load) the
/// autoencoder, write features, reconstructions, models, config and log.
///
/// Outputs are staged and committed together at the end; if anything fails,
/// no output of this run is left behind and the plugins are stopped.
public final class FeatureExtractionRun {
    public let config: RunConfiguration
    let env: RunEnvironment

    public init(config: RunConfiguration, environment: RunEnvironment) {
        self.config = config
        self.env = environment
    }

    /// Runs, with the run's accounting and audit trail around it.
    public func run() throws -> RunSummary {
        try config.validate()
        let audit = RunAuditor(store: env.store, actor: env.actor)
        let runID = try env.store.beginRun(actor: env.actor, command: env.command)
        let clock = Deadline.now()
        let json = String(decoding: try ConfigurationLoader.encoded(config), as: UTF8.self)
        let digest = try env.store.recordConfiguration(run: runID, json: json, sources: env.configSources)
        for source in env.configSources where source.hasPrefix("file:") {
            try audit.record("config.load", target: String(source.dropFirst(5)), .success, ["digest": digest])
        }
        try audit.record("run.start", target: config.inputFile ?? "-", .success, ["run": String(runID), "config_digest": digest])
        env.remoteLog?.log("run.start", ["run": runID, "config_digest": digest, "config": json])
        defer { env.remoteLog?.finish() }
        do {
            let summary = try body(audit: audit)
            env.remoteLog?.log("run.finish", ["run": runID, "outcome": "success", "seconds": summary.executionSeconds])
            let seconds = Double(Deadline.now().nanoseconds - clock.nanoseconds) / 1e9
            try env.store.recordStatistics(run: runID, RunAuditor.statistics(summary))
            try env.store.finishRun(runID, outcome: "success", seconds: seconds, rows: summary.rows, bytes: summary.bytes)
            try audit.record("run.finish", target: config.inputFile ?? "-", .success, ["run": String(runID)])
            return summary
        } catch {
            let seconds = Double(Deadline.now().nanoseconds - clock.nanoseconds) / 1e9
            env.remoteLog?.log("error", ["run": runID, "error": Sanitizer.clean("\(error)", limit: 500)])
            // Record the failure, but report the run's own error, not a second one.
            try? env.store.finishRun(runID, outcome: "failure", seconds: seconds, rows: 0, bytes: 0)
            try? audit.record("run.finish", target: config.inputFile ?? "-", .failure,
                              ["run": String(runID), "error": Sanitizer.clean("\(error)", limit: 500)])
            throw error
        }
    }

    private func body(audit: RunAuditor) throws -> RunSummary {
        let started = Date()
        let clock = Deadline.now()
        let outputs = StagedOutputs()
        try StagedOutputs.checkWritable([config.outputFile, config.evaluateEncoder, config.evaluateDecoder, config.saveEncoder,
                                         config.saveDecoder, config.saveConfig, config.saveLog].compactMap { $0 }
                                            .filter { !RemoteModels.isRemote($0) })

        // Models are read (and their signatures checked) before anything starts, so a bad file fails fast.
        let encoderModel = try config.loadEncoder.map { try loadModel($0, audit: audit) }
        let decoderModel = try config.loadDecoder.map { try loadModel($0, audit: audit) }
        if let e = encoderModel, let d = decoderModel, (e.windowSize, e.interfaceSize) != (d.windowSize, d.interfaceSize) {
            throw ModelMismatch(path: config.loadDecoder!, reason:
                "window \(d.windowSize) / interface \(d.interfaceSize) does not fit the encoder's window \(e.windowSize) / interface \(e.interfaceSize)")
        }
        let windowSize = encoderModel?.windowSize ?? config.windowSize
        if let e = encoderModel, e.windowSize != config.windowSize {
            env.info("using the model's window size \(e.windowSize) (the configuration says \(config.windowSize))")
        }
        let data = try PreparedData.load(config, windowSize: windowSize, modelStats: encoderModel?.normalization, info: env.info)
        env.info("read \(data.input.rowCount) rows x \(data.input.columnNames.count) column(s) [\(data.input.columnNames.joined(separator: ", "))]: \(data.inputWindows.count) windows of \(windowSize)")

        let needDecoder = encoderModel == nil || decoderModel != nil
        let model = try launch(needDecoder: needDecoder, audit: audit)
        defer { model.shutdown() }

        // PCA of the training windows: what plugins with the `fit` capability start from, and the reference the run reports.
        let baseline = data.training.flatMap(PCABaseline.fit)
        var trainingResults: [TrainingResult] = []
        var searchSteps: [InterfaceSearch.Step]?
        if let encoderModel {
            try encoderModel.checkCompatible(with: model.encoder.info!, path: config.loadEncoder!)
            if let decoderModel, let d = model.decoder { try decoderModel.checkCompatible(with: d.info!, path: config.loadDecoder!) }
            try model.configure(windowSize: windowSize, interfaceSize: encoderModel.interfaceSize, seed: config.seed,
                                encoderParameters: encoderModel.parameters, decoderParameters: decoderModel?.parameters ?? [:])
            do {
                try model.importState(encoder: encoderModel.state, decoder: decoderModel?.state)
            } catch let PluginError.remoteError(plugin, _, error) where error.code == RPCErrorCode.stateMismatch {
                throw ModelMismatch(path: plugin.hasPrefix("encoder") ? config.loadEncoder! : config.loadDecoder!, reason: error.message)
            }
            env.info("loaded \(config.loadEncoder!)" + (config.loadDecoder.map { " and \($0)" } ?? ""))
        } else {
            let encoderParameters = try parameters(config.encoder, for: model.encoder, key: "encoder")
            let decoderParameters = try parameters(config.decoder, for: model.decoder!, key: "decoder")
            var trainer = Trainer(epochs: config.epochs, batchSize: config.batchSize, seed: config.seed, patience: config.earlyStoppingPatience)
            let progress = env.progress, remoteLog = env.remoteLog
            trainer.onEpoch = { r in
                progress(r)
                remoteLog?.log("epoch", ["interface_size": r.interfaceSize, "epoch": r.epoch, "training_mse": r.trainingMSE,
                                         "validation_mse": r.validationMSE ?? NSNull(), "seconds": r.seconds])
            }
            trainer.restarts = config.pluginRestarts
            let info = env.info
            trainer.onRestart = { error, n in info("restart \(n) of \(self.config.pluginRestarts): \(error); resuming from the last completed epoch") }
            let training = data.training!
            func train(_ size: Int) throws -> Double {
                try model.configure(windowSize: windowSize, interfaceSize: size, seed: config.seed,
                                    encoderParameters: encoderParameters, decoderParameters: decoderParameters)
                if let baseline { try model.fit(baseline.fitParams) }
                let result = try trainer.train(model, training: training, validation: data.validation)
                trainingResults.append(result)
                let mse = try result.validationMSE ?? trainer.evaluate(model, training)
                var line = "interface \(size): \(result.epochs.count) epoch(s), validation MSE \(Self.format(mse))"
                if let pca = try baseline?.windowMSE(rank: size, on: data.validation ?? training), let reference = Self.mean(pca), reference > 0 {
                    line += " (PCA-\(size): \(Self.format(reference)), ratio \(Self.format(ratio: mse / reference)))"
                }
                env.info(line)
                return mse
            }
            if let threshold = config.thresholdError {
                let search = InterfaceSearch(initial: config.initialSize, step: config.stepSize, threshold: threshold,
                                             growing: config.incrementalSearch, windowSize: windowSize)
                let (steps, chosen) = try search.run(train)
                searchSteps = steps
                for step in steps {
                    env.remoteLog?.log("search.step", ["interface_size": step.interfaceSize, "validation_mse": step.validationMSE,
                                                       "met_threshold": step.metThreshold])
                }
                if model.interfaceSize != chosen { _ = try train(chosen) }  // same seed: the same model again
                env.info("interface size search chose \(chosen)")
            } else {
                _ = try train(config.initialSize)
            }
        }

        let writers = ResultWriters(model: model, batch: 4096)
        var written: [String] = []
        var encodeRate: Double?
        if let path = config.outputFile {
            let seconds = try writers.writeFeatures(data.inputWindows, table: data.input, forceDate: config.forceDate, to: outputs.stage(path))
            encodeRate = Double(data.inputWindows.count) / max(seconds, 1e-9)
            written.append(path)
        }
        if let path = config.evaluateEncoder {
            try writers.writeFeatures(data.evaluationWindows, table: data.evaluation, forceDate: config.forceDate, to: outputs.stage(path))
            written.append(path)
        }
        var metrics: [ColumnMetrics] = []
        if model.decoder != nil {
            metrics = try writers.reconstruct(data.evaluationWindows, table: data.evaluation, stats: data.stats,
                                              pcaBaseline: try baseline?.windowMSE(rank: model.interfaceSize, on: data.evaluationWindows),
                                              forceDate: config.forceDate, to: config.evaluateDecoder.map(outputs.stage))
            if let path = config.evaluateDecoder { written.append(path) }
        }

        let debug = try model.debugInfo()
        let state = (config.saveEncoder != nil || config.saveDecoder != nil) ? try model.exportState() : nil
        let digest = try config.inputFile.map(FileDigest.sha256Hex(path:))
        let stamp = ISO8601DateFormatter().string(from: started)
        func modelFile(_ role: PluginRole, _ plugin: any PluginChannel, _ setup: ConfigureResult?, _ s: ModelState) -> ModelFile {
            ModelFile(role: role, pluginName: plugin.info!.name, pluginVersion: plugin.info!.version, windowSize: model.windowSize,
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
            try ConfigurationLoader.save(config, to: outputs.stage(path))
            try audit.record("config.save", target: path, .success)
            written.append(path)
        }
        if let url = env.remoteSaveConfig, let remote = env.remote {
            let target = URLRedactor.redact(url)
            outputs.beforeCommit {
                let version = try RemoteConfiguration.save(self.config, to: url, client: remote)
                try audit.record("config.save", target: target, .success, ["version": String(version)])
            }
            written.append(target)
        }

        model.shutdown()  // before the summary, so the plugins' peak memory is known
        func summary(_ p: any PluginChannel, _ setup: ConfigureResult?, _ debug: [String: JSONValue]) -> PluginSummary {
            PluginSummary(name: p.info!.name, version: p.info!.version, transport: p.info!.transport.rawValue,
                          parameterCount: setup?.parameterCount, parameters: setup?.parameters ?? [:], debugInfo: debug,
                          peakRSSKilobytes: p.peakRSSKilobytes)
        }
        var result = RunSummary(
            startedAt: stamp, executionSeconds: 0, configuration: try ConfigurationLoader.asObject(config),
            encoder: summary(model.encoder, model.encoderSetup, debug.encoder),
            decoder: model.decoder.map { summary($0, model.decoderSetup, debug.decoder ?? [:]) },
            training: trainingResults, search: searchSteps, interfaceSize: model.interfaceSize,
            windows: data.inputWindows.count, metrics: metrics, encodeWindowsPerSecond: encodeRate,
            coordinatorPeakRSSKilobytes: Self.peakRSSKilobytes(), outputs: written,
            rows: data.input.rowCount + (config.validationFile != nil ? data.evaluation.rowCount : 0),
            bytes: [config.inputFile, config.validationFile].compactMap { $0 }.reduce(0) { $0 + Self.fileSize($1) })
        result.executionSeconds = Double(Deadline.now().nanoseconds - clock.nanoseconds) / 1e9
        if let path = config.saveLog {
            try RunLog.write(result, to: outputs.stage(path))
            result.outputs.append(path)
        }
        try outputs.commit()
        return result
    }

    static func fileSize(_ path: String) -> Int {
        ((try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? NSNumber)?.intValue ?? 0
    }

    static func peakRSSKilobytes() -> Int {
        var usage = rusage()
        getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
        return Int(usage.ru_maxrss)
    }

    static func mean(_ xs: [Double]) -> Double? { xs.isEmpty ? nil : xs.reduce(0, +) / Double(xs.count) }

    /// A ratio to three decimals (any finite value: a near-zero baseline gives a huge one).
    static func format(ratio: Double) -> String { ratio.isFinite ? String(format: "%.3f", ratio) : "\(ratio)" }

    static func format(_ x: Double) -> String {
        let e = x == 0 ? 0 : Int(floor(log10(abs(x))))
        let m = x / pow(10, Double(e))
        return "\((m * 1000).rounded() / 1000)e\(e)"
    }
}

/// `--save-log`: the run summary as pretty JSON.
enum RunLog {
    static func write(_ summary: RunSummary, to path: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        let data = try encoder.encode(summary)
        let writer = try AtomicFileWriter(path: path)
        try data.withUnsafeBytes { try writer.write($0) }
        try writer.write("\n")
        try writer.commit()
    }
}
