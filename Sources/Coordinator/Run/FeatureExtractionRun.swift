import FeatureExtractorSupport
import Foundation
import PluginHost
import PluginProtocol
import RemoteClient
import StateStore

/// One run of the tool: read data, start the plugins, train (or load) the
/// autoencoder, write features, reconstructions, models, config and log.
///
/// Outputs are staged and committed together at the end; if anything fails,
/// no output of this run is left behind and the plugins are stopped.
public final class FeatureExtractionRun {
    public let config: RunConfiguration
    /// A shard of the input (`--rows`, `--shard`): only its windows and rows are written.
    public let rows: RowSelection?
    let env: RunEnvironment

    public init(config: RunConfiguration, environment: RunEnvironment, rows: RowSelection? = nil) {
        self.config = config
        self.rows = rows
        var env = environment
        // The whole run's bound starts now: every plugin call waits at most until then.
        if let seconds = config.maxRunSeconds { env.limits.runLimit = (.after(seconds: seconds), seconds) }
        self.env = env
    }

    /// Runs, with the run's accounting and audit trail around it.
    public func run() throws -> RunSummary {
        try config.validate()
        try checkShardable()
        let audit = RunAuditor(store: env.store, actor: env.actor)
        let runID = try env.store.beginRun(actor: env.actor, command: env.command)
        let clock = Stopwatch()
        let json = String(decoding: try ConfigurationLoader.encoded(config), as: UTF8.self)
        let digest = try env.store.recordConfiguration(run: runID, json: json, sources: env.configSources)
        for source in env.configSources where source.hasPrefix("file:") {
            try audit.record("config.load", target: String(source.dropFirst(5)), .success, ["digest": digest])
        }
        var started = ["run": String(runID), "config_digest": digest]
        if let rows { started["rows"] = rows.description }
        try audit.record("run.start", target: config.inputFile ?? "-", .success, started)
        env.remoteLog?.log(
            "run.start", ["run": runID, "config_digest": digest, "config": json, "rows": rows?.description ?? "all"])
        defer { env.remoteLog?.finish() }
        do {
            let summary = try body(audit: audit)
            env.remoteLog?.log("run.finish", ["run": runID, "outcome": "success", "seconds": summary.executionSeconds])
            let seconds = clock.seconds
            try env.store.recordStatistics(run: runID, RunAuditor.statistics(summary))
            try env.store.finishRun(runID, outcome: "success", seconds: seconds, rows: summary.rows, bytes: summary.bytes)
            try audit.record("run.finish", target: config.inputFile ?? "-", .success, ["run": String(runID)])
            return summary
        } catch {
            let seconds = clock.seconds
            env.remoteLog?.log("error", ["run": runID, "error": DisplayText.escaped("\(error)", limit: 500)])
            // Record the failure, but report the run's own error, not a second one.
            try? env.store.finishRun(runID, outcome: "failure", seconds: seconds, rows: 0, bytes: 0)
            try? audit.record(
                "run.finish", target: config.inputFile ?? "-", .failure,
                ["run": String(runID), "error": DisplayText.escaped("\(error)", limit: 500)])
            throw error
        }
    }

    /// The run's phases in order; each is a method of its own (RunPhases/).
    private func body(audit: RunAuditor) throws -> RunSummary {
        let started = Date()
        let clock = Stopwatch()
        let outputs = StagedOutputs()
        try checkOutputsWritable()
        let inputs = try readInputs(audit: audit)
        let model = try launch(needDecoder: inputs.needDecoder, audit: audit)
        defer { model.shutdown() }
        // PCA of the training windows: what plugins with the `fit` capability start from, and the reference the run reports.
        let baseline = inputs.data.training.flatMap(PCABaseline.fit)
        let training = try inputs.encoderModel != nil ? restoreModels(model, inputs) : train(model, inputs, baseline: baseline)
        let evaluation = try evaluate(model, inputs.data, baseline: baseline, outputs: outputs)
        let debug = try model.debugInfo()
        let stamp = ISO8601DateFormatter().string(from: started)
        let saved = try writeModelsAndConfig(model, inputs.data, createdAt: stamp, outputs: outputs, audit: audit)
        model.shutdown()  // before the summary, so the plugins' peak memory is known
        var result = try summarize(
            model, inputs.data, debug: debug, training: training, evaluation: evaluation,
            outputs: evaluation.written + saved, startedAt: stamp)
        if let shard = inputs.data.shard {
            result.shard = try shardReport(shard, inputs: inputs, staged: evaluation.staged)
            result.windows = shard.featureWindows.count * inputs.data.input.columnNames.count
        }
        result.executionSeconds = clock.seconds
        if let path = config.lossPlot {
            try LossPlot(result.training).write(to: try outputs.stage(path))
            result.outputs.append(path)
        }
        if let path = config.saveLog {
            try RunLog.write(result, to: try outputs.stage(path))
            result.outputs.append(path)
        }
        try outputs.commit()
        return result
    }

    static func fileSize(_ path: String) -> Int {
        ((try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? NSNumber)?.intValue ?? 0
    }

    /// This process's own peak resident memory: `VmHWM`, which starts afresh at exec.
    /// (`ru_maxrss` does not: it carries over the high-water mark of whatever process ran
    /// before the exec, such as a large parent that spawned us.)
    static func peakRSSKilobytes() -> Int {
        if let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
            let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }),
            let kilobytes = Int(line.dropFirst(6).trimmingCharacters(in: .whitespaces).split(separator: " ").first ?? "")
        {
            return kilobytes
        }
        var usage = rusage()
        getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
        return Int(usage.ru_maxrss)
    }

    static func mean(_ xs: [Double]) -> Double? { xs.isEmpty ? nil : xs.reduce(0, +) / Double(xs.count) }

    /// A ratio to three decimals (any finite value: a near-zero baseline gives a huge one).
    static func format(ratio: Double) -> String { ratio.isFinite ? String(format: "%.3f", ratio) : "\(ratio)" }

    static func format(_ x: Double) -> String { ScientificNotation.string(x, decimals: 3) }
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
