import Foundation
import PluginHost
import PluginProtocol

/// What training left for the summary: each interface size's result, and the search's steps.
struct TrainingOutcome {
    var results: [TrainingResult] = []
    var search: [InterfaceSearch.Step]?
}

extension FeatureExtractionRun {
    /// A loaded model: the plugins are checked against it, configured as it was, and given its state.
    func restoreModels(_ model: Autoencoder, _ inputs: RunInputs) throws -> TrainingOutcome {
        let encoderModel = inputs.encoderModel!, decoderModel = inputs.decoderModel
        try encoderModel.checkCompatible(with: model.encoder.info!, path: config.loadEncoder!)
        if let decoderModel, let d = model.decoder { try decoderModel.checkCompatible(with: d.info!, path: config.loadDecoder!) }
        try model.configure(
            windowSize: inputs.windowSize, interfaceSize: encoderModel.interfaceSize, seed: config.seed,
            encoderParameters: encoderModel.parameters, decoderParameters: decoderModel?.parameters ?? [:])
        do {
            try model.importState(encoder: encoderModel.state, decoder: decoderModel?.state)
        } catch let PluginError.remoteError(plugin, _, error) where error.code == RPCErrorCode.stateMismatch {
            throw ModelMismatch(
                path: plugin.hasPrefix("encoder") ? config.loadEncoder! : config.loadDecoder!, reason: error.message)
        }
        env.info("loaded \(config.loadEncoder!)" + (config.loadDecoder.map { " and \($0)" } ?? ""))
        return TrainingOutcome()
    }

    /// Trains one interface size, or searches sizes against `threshold_error` and leaves the
    /// chosen size trained.
    func train(_ model: Autoencoder, _ inputs: RunInputs, baseline: PCABaseline?) throws -> TrainingOutcome {
        let encoderParameters = try parameters(config.encoder, for: model.encoder, key: "encoder")
        let decoderParameters = try parameters(config.decoder, for: model.decoder!, key: "decoder")
        warnUndeclaredPluginParameters(model)
        let trainer = makeTrainer()
        let data = inputs.data, training = data.training!
        var outcome = TrainingOutcome()
        func train(_ size: Int) throws -> Double {
            try model.configure(
                windowSize: inputs.windowSize, interfaceSize: size, seed: config.seed,
                encoderParameters: encoderParameters, decoderParameters: decoderParameters)
            if let baseline { try model.fit(baseline.fitParams) }
            let result = try trainer.train(model, training: training, validation: data.validation)
            outcome.results.append(result)
            let mse = try result.validationMSE ?? trainer.evaluate(model, training)
            var line =
                "interface \(size): \(result.epochs.count) epoch(s), validation window MSE \(Self.format(mse)) (normalised)"
            if let pca = try baseline?.windowMSE(rank: size, on: data.validation ?? training), let reference = Self.mean(pca) {
                line +=
                    reference > 0
                    ? " (PCA-\(size): \(Self.format(reference)), ratio \(Self.format(ratio: mse / reference)))"
                    : " (PCA-\(size) is exact: the interface holds the whole window)"
            }
            env.info(line)
            return mse
        }
        guard let threshold = config.thresholdError else {
            _ = try train(config.initialSize)
            return outcome
        }
        let search = InterfaceSearch(
            initial: config.initialSize, step: config.stepSize, threshold: threshold,
            growing: config.incrementalSearch, windowSize: inputs.windowSize)
        let (steps, chosen) = try search.run(train)
        outcome.search = steps
        for step in steps {
            env.remoteLog?.log(
                "search.step",
                [
                    "interface_size": step.interfaceSize, "validation_mse": step.validationMSE,
                    "met_threshold": step.metThreshold,
                ])
        }
        if model.interfaceSize != chosen { _ = try train(chosen) }  // same seed: the same model again
        if let best = steps.min(by: { $0.validationMSE < $1.validationMSE }), !steps.contains(where: \.metThreshold) {
            env.warn(
                "interface size search: no size met threshold_error \(Self.format(threshold)) (best validation window MSE "
                    + "\(Self.format(best.validationMSE)) at size \(best.interfaceSize)); kept size \(chosen), which does not meet it"
            )
        }
        env.info("interface size search chose \(chosen)")
        return outcome
    }

    /// The configured trainer, reporting epochs and restarts to the display and the remote log.
    private func makeTrainer() -> Trainer {
        var trainer = Trainer(
            epochs: config.epochs, batchSize: config.batchSize, seed: config.seed, patience: config.earlyStoppingPatience)
        let progress = env.progress, remoteLog = env.remoteLog
        trainer.onEpoch = { r in
            progress(r)
            remoteLog?.log(
                "epoch",
                [
                    "interface_size": r.interfaceSize, "epoch": r.epoch, "training_mse": r.trainingMSE,
                    "validation_mse": r.validationMSE ?? NSNull(), "seconds": r.seconds,
                ])
        }
        trainer.onBatch = env.batchProgress
        trainer.restarts = config.pluginRestarts
        let info = env.info, restarts = config.pluginRestarts
        trainer.onRestart = { error, n in info("restart \(n) of \(restarts): \(error); resuming from the last completed epoch") }
        return trainer
    }
}
