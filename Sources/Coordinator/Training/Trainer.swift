import FeatureExtractorSupport
import PluginHost
import PluginProtocol

/// What happened in one epoch, for progress displays, logs and statistics.
public struct EpochReport: Sendable, Codable, Equatable {
    public var interfaceSize: Int
    public var epoch: Int
    public var epochs: Int
    public var trainingMSE: Double
    public var validationMSE: Double?
    public var seconds: Double
    public var windowsPerSecond: Double

    enum CodingKeys: String, CodingKey {
        case interfaceSize = "interface_size", epoch, epochs, trainingMSE = "training_mse"
        case validationMSE = "validation_mse", seconds, windowsPerSecond = "windows_per_second"
    }
}

/// Where training is within an epoch, after each batch (the terminal's in-place progress line).
public struct BatchProgress: Sendable, Equatable {
    public var interfaceSize: Int
    public var epoch: Int
    public var epochs: Int
    public var batch: Int
    public var batches: Int
    /// Windows trained on so far in this epoch.
    public var windows: Int
    /// Seconds since the epoch began.
    public var seconds: Double
}

/// The outcome of training one interface size.
public struct TrainingResult: Sendable, Codable, Equatable {
    public var interfaceSize: Int
    public var epochs: [EpochReport]
    /// Validation MSE of the weights kept (the best epoch's when early stopping restored them).
    public var validationMSE: Double?
    /// Validation MSE before the first epoch (after any closed-form fit): the point training starts from.
    public var initialValidationMSE: Double?
    public var trainingWindows: Int
    public var trainingSeconds: Double
    /// Plugin restarts this training needed (see `Trainer.restarts`).
    public var restarts: Int

    enum CodingKeys: String, CodingKey {
        case interfaceSize = "interface_size", epochs, validationMSE = "validation_mse"
        case initialValidationMSE = "initial_validation_mse"
        case trainingWindows = "training_windows", trainingSeconds = "training_seconds", restarts
    }
}

/// Mini-batch training with seeded shuffling, per-epoch validation and early stopping.
package struct Trainer {
    package var epochs: Int
    package var batchSize: Int
    package var seed: UInt64
    package var patience: Int
    /// Windows per inference call; large batches keep the protocol's overhead low.
    package var inferenceBatch = 4096
    /// How many times a failed plugin may be restarted; each restart resumes from
    /// the last completed epoch (which is checkpointed only when this is above 0).
    package var restarts = 0
    package var onEpoch: (EpochReport) -> Void = { _ in }
    package var onBatch: (BatchProgress) -> Void = { _ in }
    package var onRestart: (PluginError, Int) -> Void = { _, _ in }

    package init(epochs: Int, batchSize: Int, seed: UInt64, patience: Int) {
        self.epochs = epochs
        self.batchSize = batchSize
        self.seed = seed
        self.patience = patience
    }

    package func train(_ model: Autoencoder, training: WindowCatalog, validation: WindowCatalog?) throws -> TrainingResult {
        var order = Array(0..<training.count)
        var rng = SplitMix64(seed: seed)
        var buffer: [Float] = []
        var reports: [EpochReport] = []
        var best: (mse: Double, state: (encoder: ModelState, decoder: ModelState?)?)?
        var sinceBest = 0
        var restartsLeft = restarts
        let started = Stopwatch()
        // Where training starts (PCA, for a model with a fitted linear path) is the first
        // candidate for the weights kept: early stopping never returns a worse model.
        let initialMSE = try validation.map { try evaluate(model, $0) }
        let trains = model.encoderTrains || model.decoderTrains
        if let v = initialMSE, patience > 0, trains, epochs > 0 { best = (v, try model.exportState()) }

        for epoch in 1...max(epochs, 1) where epochs > 0 && trains {
            // What a restart goes back to: the models, shuffle state and order as this epoch began.
            let checkpoint = restartsLeft > 0 ? try model.exportState() : nil
            let (orderAtStart, rngAtStart) = (order, rng)
            var epochClock = Stopwatch()
            var lossSum = 0.0
            while true {
                do {
                    order.shuffle(using: &rng)
                    lossSum = 0
                    var start = 0
                    let batches = (order.count + batchSize - 1) / batchSize
                    while start < order.count {
                        let end = min(start + batchSize, order.count)
                        training.fill(order[start..<end], into: &buffer)
                        lossSum +=
                            try model.trainStep(Tensor(rows: end - start, cols: training.windowSize, values: buffer))
                            * Double(end - start)
                        start = end
                        onBatch(
                            BatchProgress(
                                interfaceSize: model.interfaceSize, epoch: epoch, epochs: epochs,
                                batch: (end + batchSize - 1) / batchSize, batches: batches, windows: end,
                                seconds: epochClock.seconds))
                    }
                    try model.settle()
                    break
                } catch let error as PluginError where restartsLeft > 0 && checkpoint != nil && error.isRestartable {
                    restartsLeft -= 1
                    onRestart(error, restarts - restartsLeft)
                    try model.recover(restoring: checkpoint!)
                    (order, rng) = (orderAtStart, rngAtStart)
                    epochClock.restart()
                }
            }
            let seconds = epochClock.seconds
            let validationMSE = try validation.map { try evaluate(model, $0) }
            let report = EpochReport(
                interfaceSize: model.interfaceSize, epoch: epoch, epochs: epochs,
                trainingMSE: lossSum / Double(max(order.count, 1)), validationMSE: validationMSE,
                seconds: seconds, windowsPerSecond: Double(order.count) / max(seconds, 1e-9))
            reports.append(report)
            onEpoch(report)

            guard let v = validationMSE, patience > 0 else { continue }
            if best == nil || v < best!.mse {
                // Keep the best weights only when we may need to restore them.
                best = (v, epoch < epochs ? try model.exportState() : nil)
                sinceBest = 0
            } else {
                sinceBest += 1
                if sinceBest >= patience { break }
            }
        }
        var finalMSE = reports.last?.validationMSE ?? initialMSE
        if let b = best, let state = b.state, let last = reports.last?.validationMSE, b.mse < last {
            try model.importState(encoder: state.encoder, decoder: state.decoder)
            finalMSE = b.mse
        }
        return TrainingResult(
            interfaceSize: model.interfaceSize, epochs: reports, validationMSE: finalMSE,
            initialValidationMSE: initialMSE, trainingWindows: training.count,
            trainingSeconds: started.seconds,
            restarts: restarts - restartsLeft)
    }

    /// Mean squared reconstruction error over every window of `windows` (normalised units).
    package func evaluate(_ model: Autoencoder, _ windows: WindowCatalog) throws -> Double {
        var sum = 0.0
        var buffer: [Float] = []
        var unused: [Float] = []
        let all = Array(0..<windows.count)
        var start = 0
        while start < all.count {
            let end = min(start + inferenceBatch, all.count)
            windows.fill(all[start..<end], into: &buffer)
            let input = Tensor(rows: end - start, cols: windows.windowSize, values: buffer)
            let output = try model.decode(try model.encode(input))
            sum += Autoencoder.mseGradient(output.values, buffer, into: &unused) * Double(end - start)
            start = end
        }
        return sum / Double(max(all.count, 1))
    }
}

extension PluginError {
    /// Failures of the plugin process itself, which a fresh process may not repeat.
    /// A plugin refusing our input, or being the wrong plugin, would only fail again.
    var isRestartable: Bool {
        switch self {
        case .crashed, .timedOut, .protocolViolation, .sandboxViolation, .limitExceeded: true
        default: false
        }
    }
}
