import PluginHost
import PluginProtocol

/// An encoder and a decoder plugin driven as one autoencoder.
///
/// The coordinator owns the loss: per batch it runs encoder forward, decoder
/// forward, the MSE and its gradient, decoder backward, encoder backward, and
/// both optimiser steps. Every tensor a plugin returns is checked for shape
/// here (the codec already refused NaN and infinity).
package final class Autoencoder {
    package private(set) var encoder: any PluginChannel
    /// Absent when only features are computed with a loaded encoder.
    package private(set) var decoder: (any PluginChannel)?
    /// Starts a fresh, handshaken plugin of a role; set to allow `recover`.
    package var relaunch: ((PluginRole) throws -> any PluginChannel)?
    /// The last `configure` call's arguments, replayed on a relaunched plugin.
    private var setup: (seed: UInt64, encoder: [String: JSONValue], decoder: [String: JSONValue])?
    package private(set) var windowSize = 0
    package private(set) var interfaceSize = 0
    package private(set) var encoderSetup: ConfigureResult?
    package private(set) var decoderSetup: ConfigureResult?

    /// Requests sent but not yet answered (optimiser steps are pipelined ahead of the next call).
    private var pendingEncoderStep: PendingUpdate?
    private var pendingDecoderStep: PendingUpdate?
    private var gradient: [Float] = []

    package init(encoder: any PluginChannel, decoder: (any PluginChannel)?) {
        self.encoder = encoder
        self.decoder = decoder
    }

    /// (Re)builds both models for a window and interface size. Parameters are the
    /// plugins' own namespaces; each is checked against that plugin's schema first.
    package func configure(
        windowSize: Int, interfaceSize: Int, seed: UInt64,
        encoderParameters: [String: JSONValue], decoderParameters: [String: JSONValue]
    ) throws {
        try settle()
        let e = try encoder.call(
            MethodName.configure,
            ConfigureParams(
                inputShape: [windowSize], outputShape: [interfaceSize],
                seed: seed, parameters: encoderParameters),
            as: ConfigureResult.self)
        // The decoder's seed differs so its weights are not a copy of the encoder's draws.
        let d = try decoder?.call(
            MethodName.configure,
            ConfigureParams(
                inputShape: [interfaceSize], outputShape: [windowSize],
                seed: seed &+ 1, parameters: decoderParameters),
            as: ConfigureResult.self)
        self.windowSize = windowSize
        self.interfaceSize = interfaceSize
        encoderSetup = e
        decoderSetup = d
        setup = (seed, encoderParameters, decoderParameters)
    }

    /// Sends the training windows' statistics to each plugin that declared the `fit`
    /// capability (after `configure`, before training); others are not asked.
    package func fit(_ statistics: FitParams) throws {
        try settle()
        for plugin in [encoder, decoder].compactMap({ $0 }) where plugin.info?.supports(PluginCapability.fit) == true {
            _ = try plugin.call(MethodName.fit, statistics, as: Empty.self)
        }
    }

    /// Whether a side has anything to train; one with no trainable parameters
    /// (a closed-form fit) gets no backward or step.
    package var encoderTrains: Bool { (encoderSetup?.parameterCount ?? 1) > 0 }
    package var decoderTrains: Bool { (decoderSetup?.parameterCount ?? 1) > 0 }

    /// After a plugin failed: starts a new process for each failed plugin, configures
    /// it as before, and puts both models back to `checkpoint`. Optimiser moments
    /// start afresh (they are not part of a model's state).
    package func recover(restoring checkpoint: (encoder: ModelState, decoder: ModelState?)) throws {
        guard let relaunch, let setup else {
            throw PluginError.incompatible(plugin: encoder.label, reason: "cannot be restarted")
        }
        // A failed plugin's pipelined step is gone with it; a healthy one's answer is still on its way.
        if encoder.failure != nil { pendingEncoderStep = nil }
        if decoder?.failure != nil { pendingDecoderStep = nil }
        try settle()
        if encoder.failure != nil {
            encoder.shutdown()
            encoder = try relaunch(.encoder)
            encoderSetup = try encoder.call(
                MethodName.configure,
                ConfigureParams(
                    inputShape: [windowSize], outputShape: [interfaceSize],
                    seed: setup.seed, parameters: setup.encoder),
                as: ConfigureResult.self)
        }
        if let d = decoder, d.failure != nil {
            d.shutdown()
            let fresh = try relaunch(.decoder)
            decoder = fresh
            decoderSetup = try fresh.call(
                MethodName.configure,
                ConfigureParams(
                    inputShape: [interfaceSize], outputShape: [windowSize],
                    seed: setup.seed &+ 1, parameters: setup.decoder),
                as: ConfigureResult.self)
        }
        try importState(encoder: checkpoint.encoder, decoder: checkpoint.decoder)
    }

    /// One optimisation step on `batch` (`[rows, windowSize]`); returns the batch's MSE.
    package func trainStep(_ batch: Tensor) throws -> Double {
        guard let decoder else { throw PluginError.incompatible(plugin: encoder.label, reason: "training needs a decoder") }
        let rows = batch.shape[0]
        let features = try forward(encoder, batch, training: true, pending: &pendingEncoderStep, expect: [rows, interfaceSize])
        let output = try forward(decoder, features, training: true, pending: &pendingDecoderStep, expect: [rows, windowSize])

        let loss = Autoencoder.mseGradient(output.values, batch.values, into: &gradient)
        guard !Tensor.hasNonFinite(gradient) else {
            throw decoder.reject(
                during: MethodName.forward,
                reason:
                    "its output is so far from the data (up to \(output.values.map(abs).max() ?? 0)) that the loss gradient overflows"
            )
        }
        // A plugin that steps inside `backward` saves a round trip; otherwise the decoder's
        // step runs while the encoder computes its backward pass.
        let decoderFuses = decoderTrains && Self.stepsInBackward(decoder)
        let gradFeatures = try decoder.call(
            MethodName.backward,
            BackwardParams(
                gradOutput: Tensor(shape: output.shape, values: gradient), needInputGradient: encoderTrains,
                step: decoderFuses ? true : nil),
            as: BackwardResult.self)
        if decoderTrains && !decoderFuses { pendingDecoderStep = .step(try decoder.send(MethodName.step, Empty())) }
        guard encoderTrains else { return loss }
        guard let gz = gradFeatures.gradInput, gz.shape == features.shape else {
            throw decoder.reject(during: MethodName.backward, reason: "grad_input missing or not shaped \(features.shape)")
        }
        if Self.stepsInBackward(encoder) {
            // Nothing waits for the encoder's backward: it is collected before its next request.
            let id = try encoder.send(MethodName.backward, BackwardParams(gradOutput: gz, needInputGradient: false, step: true))
            pendingEncoderStep = .backward(id)
        } else {
            let id = try encoder.send(MethodName.backward, BackwardParams(gradOutput: gz, needInputGradient: false))
            _ = try encoder.receive(id, method: MethodName.backward, as: BackwardResult.self)
            pendingEncoderStep = .step(try encoder.send(MethodName.step, Empty()))
        }
        return loss
    }

    /// Features of `batch` (inference).
    package func encode(_ batch: Tensor) throws -> Tensor {
        try forward(encoder, batch, training: false, pending: &pendingEncoderStep, expect: [batch.shape[0], interfaceSize])
    }

    /// Reconstructed windows of `features` (inference).
    package func decode(_ features: Tensor) throws -> Tensor {
        guard let decoder else { throw PluginError.incompatible(plugin: encoder.label, reason: "no decoder loaded") }
        return try forward(
            decoder, features, training: false, pending: &pendingDecoderStep, expect: [features.shape[0], windowSize])
    }

    /// Waits for pipelined steps, so that the models are quiescent.
    package func settle() throws {
        try Self.collect(encoder, &pendingEncoderStep)
        if let decoder { try Self.collect(decoder, &pendingDecoderStep) }
    }

    package func exportState() throws -> (encoder: ModelState, decoder: ModelState?) {
        try settle()
        return (try Self.exportState(of: encoder), try decoder.map { try Self.exportState(of: $0) })
    }

    /// A plugin's state, held to the protocol's limits and name rules before anything (a
    /// checkpoint, a signed model file) is made of it; a breach is that plugin's fault.
    private static func exportState(of plugin: any PluginChannel) throws -> ModelState {
        let state = try plugin.call(MethodName.exportState, Empty(), as: ModelState.self)
        do {
            try state.validate()
        } catch {
            throw plugin.reject(during: MethodName.exportState, reason: "its state breaks the protocol: \(error.message)")
        }
        return state
    }

    package func importState(encoder e: ModelState?, decoder d: ModelState?) throws {
        try settle()
        if let e { _ = try encoder.call(MethodName.importState, e, as: Empty.self) }
        if let d, let decoder { _ = try decoder.call(MethodName.importState, d, as: Empty.self) }
    }

    /// `count` more encoder processes, configured as the encoder and put in its state, for
    /// inference spread over cores (`ForwardPipeline`). The caller shuts them down.
    package func encoderReplicas(_ count: Int) throws -> [any PluginChannel] {
        guard count > 0 else { return [] }
        guard let relaunch, let setup else { throw PluginError.incompatible(plugin: encoder.label, reason: "cannot be copied") }
        try settle()
        let state = try Self.exportState(of: encoder)
        var replicas: [any PluginChannel] = []
        do {
            for _ in 0..<count {
                let replica = try relaunch(.encoder)
                replicas.append(replica)
                _ = try replica.call(
                    MethodName.configure,
                    ConfigureParams(
                        inputShape: [windowSize], outputShape: [interfaceSize], seed: setup.seed, parameters: setup.encoder),
                    as: ConfigureResult.self)
                _ = try replica.call(MethodName.importState, state, as: Empty.self)
            }
        } catch {
            replicas.forEach { $0.shutdown() }
            throw error
        }
        return replicas
    }

    package func debugInfo() throws -> (encoder: [String: JSONValue], decoder: [String: JSONValue]?) {
        try settle()
        return (
            try encoder.call(MethodName.debugInfo, Empty(), as: DebugInfoResult.self).variables,
            try decoder?.call(MethodName.debugInfo, Empty(), as: DebugInfoResult.self).variables
        )
    }

    package func shutdown() {
        try? settle()
        encoder.shutdown()
        decoder?.shutdown()
    }

    private func forward(
        _ plugin: any PluginChannel, _ input: Tensor, training: Bool, pending: inout PendingUpdate?,
        expect shape: [Int]
    ) throws -> Tensor {
        let id = try plugin.send(MethodName.forward, ForwardParams(input: input, training: training))
        try Self.collect(plugin, &pending)
        let output = try plugin.receive(id, method: MethodName.forward, as: ForwardResult.self).output
        guard output.shape == shape else {
            throw plugin.reject(during: MethodName.forward, reason: "output shape \(output.shape), expected \(shape)")
        }
        return output
    }

    /// An optimiser update sent but not yet answered: a `step`, or a `backward` that steps.
    private enum PendingUpdate {
        case step(Int)
        case backward(Int)
    }

    /// Waits for `plugin`'s pending update, if any (its answer is checked, its content unused).
    private static func collect(_ plugin: any PluginChannel, _ pending: inout PendingUpdate?) throws {
        guard let update = pending else { return }
        pending = nil
        switch update {
        case .step(let id): _ = try plugin.receive(id, method: MethodName.step, as: StepResult.self)
        case .backward(let id): _ = try plugin.receive(id, method: MethodName.backward, as: BackwardResult.self)
        }
    }

    private static func stepsInBackward(_ plugin: any PluginChannel) -> Bool {
        plugin.info?.supports(PluginCapability.stepInBackward) == true
    }

    /// Mean squared error of `prediction` against `target`, and its gradient `2 (p - t) / n`.
    package static func mseGradient(_ prediction: [Float], _ target: [Float], into gradient: inout [Float]) -> Double {
        let n = prediction.count
        if gradient.count != n { gradient = [Float](repeating: 0, count: n) }
        let scale = Float(2) / Float(n)
        var sum: Double = 0
        prediction.withUnsafeBufferPointer { p in
            target.withUnsafeBufferPointer { t in
                gradient.withUnsafeMutableBufferPointer { g in
                    // Squares in Double: a plugin may answer any finite Float (up to 3.4e38), and
                    // its square, which overflows a Float, is still far inside a Double's range.
                    for j in 0..<n {
                        let d = p[j] - t[j]
                        g[j] = d * scale
                        sum += Double(d) * Double(d)
                    }
                }
            }
        }
        return sum / Double(n)
    }
}
