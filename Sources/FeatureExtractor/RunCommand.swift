import ArgumentParser
import Coordinator
import Foundation
import PluginHost
import RemoteClient
import StateStore

struct RunCommand: ToolCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Train (or load) an autoencoder and write features, reconstructions and models.",
        discussion: """
            Configuration is layered: built-in defaults < --load-config file < command line. \
            Plugin parameters are namespaced: --encoder-param reaches only the encoder, \
            --decoder-param only the decoder, and each is checked against the schema its \
            plugin declares.

            Examples:
              feature-extractor run data.csv --columns CLOSE --epochs 10 --save-encoder enc.safetensors
              feature-extractor run data.csv --load-encoder enc.safetensors --evaluate-encoder feats.csv
              feature-extractor run data.csv --threshold-error 1e-4 --initial-size 8 --step-size 8
            """)

    @OptionGroup var options: RunOptions
    @OptionGroup var sandbox: SandboxOptions
    @OptionGroup var store: StoreOptions
    @Flag(
        name: .customLong("allow-downgrade"), help: "Accept a plugin manifest older than one already accepted from the same key.")
    var allowDowngrade = false
    @Flag(
        help: """
            Print the run's summary as one JSON object on standard output (the --save-log document; keys: \
            docs/JSON.md); messages and progress go to standard error.
            """)
    var json = false

    func execute() throws {
        InterruptHandling.install()
        let rows = try options.rowSelection()
        let scope = try options.tokenScope()
        var (config, sources, remote) = try loadConfiguration(scope: scope)
        if json && config.writesToStandardOutput {
            throw ValidationError("--json prints the summary on standard output: write the run's outputs to files, not '-'")
        }
        let modelURLs = [config.saveEncoder, config.saveDecoder, config.loadEncoder, config.loadDecoder].compactMap { $0 }
            .filter { $0.contains("://") }
        if remote == nil && (!modelURLs.isEmpty || options.remoteLog != nil || options.remoteSaveConfig != nil) {
            remote = try makeRemote(scope: scope)
        }
        // Model URLs from a config file must be on a host the operator named: checked before anything runs.
        for url in modelURLs + [options.remoteLog, options.remoteSaveConfig].compactMap({ $0 }) {
            try scope.check(url)
        }
        var env = try environment(for: config)
        env.configSources = sources
        env.remote = remote
        env.remoteSaveConfig = options.remoteSaveConfig
        if let url = options.remoteLog, remote != nil {
            env.remoteLog = RemoteLogger(url: url, client: try makeLogClient(scope: scope), store: env.store, actor: env.actor)
        }
        if let rows { env.command += " \(rows)" }
        let summary = try FeatureExtractionRun(config: config, environment: env, rows: rows).run()
        if json {
            try JSONOutput.print(summary)
        } else if !config.quietMode {
            Self.report(summary, to: messageStream(config))
        }
    }

    /// Defaults, then `--load_config`, then the remote config, then the command line; the
    /// remote client made for a remote config is reused for the run. Each layer is translated
    /// (the original tool's keys mapped or warned about) and what the merged configuration
    /// would ignore is warned about, before anything runs.
    private func loadConfiguration(scope: TokenScope) throws -> (RunConfiguration, sources: [String], remote: RemoteClient?) {
        var config = RunConfiguration()
        var sources = ["defaults"]
        var remote: RemoteClient?
        var explicitKeys = Set<String>()
        var translations: [(source: String, ConfigurationTranslation)] = []
        func apply(_ translation: ConfigurationTranslation, source: String) throws {
            config = try ConfigurationLoader.merge(config, translation.layer, source: source)
            explicitKeys.formUnion(translation.layer.keys)
            translations.append((source, translation))
        }
        if let path = options.loadConfig {
            try apply(try ConfigurationLoader.load(path), source: path)
            sources.append("file:\(path)")
        }
        if let url = options.remoteLoadConfig {
            remote = try makeRemote(scope: scope)
            let source = URLRedactor.redact(url)
            let translation: ConfigurationTranslation
            do {
                translation = try RemoteConfiguration.load(url, client: remote!)
            } catch let error as ConfigurationError {
                try auditRefusedRemoteConfig(source: source, error)
                throw error
            }
            try apply(translation, source: source)
            sources.append("remote:\(source)")
        }
        var layer = try options.layer()
        if allowDowngrade { layer["allow_downgrade"] = .bool(true) }
        try apply(try ConfigurationTranslation.translate(layer, source: "command line"), source: "command line")
        sources.append("command line")
        if !config.quietMode {
            for (source, t) in translations {
                if let warning = t.warning(source: source) { Diagnostics.warn(warning) }
                if let note = t.note(source: source) { Diagnostics.note(note) }
            }
            for option in options.inertOptions { Diagnostics.warn("\(option): no effect here (the original's switch)") }
            for warning in ConfigurationWarnings.check(config, explicitKeys: explicitKeys) { Diagnostics.warn(warning) }
        }
        return (config, sources, remote)
    }

    /// A remote config this client refused (a key it may not set, bad JSON) is an audit entry: the
    /// operator learns that the server offered it. The refusal stands even if the entry cannot be written.
    private func auditRefusedRemoteConfig(source: String, _ error: ConfigurationError) throws {
        let db = try store.open()
        let actor = (try? store.actor(in: db, for: .run)) ?? StateStore.osUser
        try db.append(
            AuditEvent(
                actor: actor, action: "config.load", target: source, outcome: .refused,
                details: ["reason": String("\(error)".prefix(500))]))
    }

    /// The sandbox, the store and its actor, the signing key, and where messages go.
    private func environment(for config: RunConfiguration) throws -> RunEnvironment {
        let quiet = config.quietMode
        let messages = messageStream(config)
        // Epoch lines wherever stderr goes (a log shows how the job went); the in-place line on a terminal only.
        let progress = ProgressDisplay()
        let sandboxSettings = try sandbox.settings()
        let db = try store.open()
        let actor = try store.actor(in: db, for: .run)
        let keyPath = FeatureExtractorHome.localSigningKey()
        let signingKey = FileManager.default.fileExists(atPath: keyPath) ? try SigningKey.load(path: keyPath) : nil
        var env = RunEnvironment(
            pluginDirectories: PluginDirectories.resolve(options.pluginsDirs), sandbox: sandboxSettings,
            store: db, actor: actor, signingKey: signingKey,
            info: { line in
                guard !quiet else { return }
                progress.interrupt()
                messages.write(Data((line + "\n").utf8))
            },
            progress: { r in if !quiet { progress.epoch(r) } },
            pluginLog: { e in
                guard !quiet else { return }
                progress.interrupt()
                FileHandle.standardError.write(Data("[\(e.plugin)] \(e.message)\n".utf8))
            })
        if !quiet && progress.isTerminal { env.batchProgress = { b in progress.batch(b) } }
        env.warn = { text in
            guard !quiet else { return }
            progress.interrupt()
            Diagnostics.warn(text)
        }
        env.command = Self.accountingCommand(config)
        return env
    }

    /// The remote log's own client, with short timeouts: an unreachable log server costs the
    /// run seconds, not minutes.
    private func makeLogClient(scope: TokenScope) throws -> RemoteClient {
        var c = RemoteClientConfiguration()
        c.tokenScope = scope
        c.caFile = options.caFile
        c.connectTimeout = 2
        c.readTimeout = 5
        c.maxAttempts = 2
        c.deadline = 5
        return try RemoteClient(token: try Secrets.token(file: store.tokenFile), configuration: c)
    }

    /// The HTTPS client, with the token from the environment or a 0600 file (never the command line).
    func makeRemote(scope: TokenScope) throws -> RemoteClient {
        var c = RemoteClientConfiguration()
        c.tokenScope = scope
        c.caFile = options.caFile
        return try RemoteClient(token: try Secrets.token(file: store.tokenFile), configuration: c)
    }

    /// What the accounting records as "what was run": the plugins and files, no secrets.
    static func accountingCommand(_ c: RunConfiguration) -> String {
        "run \(c.inputFile ?? "-") encoder=\(c.encoderPlugin) decoder=\(c.decoderPlugin)"
            + (c.loadEncoder != nil ? " (evaluate)" : "")
    }

    /// Where the run's messages go: standard output, unless an output is written there (`-` or
    /// `/dev/stdout`), in which case they go to standard error and standard output holds only data.
    /// With --json, standard output holds only the summary.
    func messageStream(_ c: RunConfiguration) -> FileHandle {
        c.writesToStandardOutput || json ? .standardError : .standardOutput
    }

    static func report(_ s: RunSummary, to stream: FileHandle) {
        func print(_ line: String) { stream.write(Data((line + "\n").utf8)) }
        if let last = s.training.last, let e = last.epochs.last {
            print(
                "trained interface \(last.interfaceSize): \(last.epochs.count) epoch(s), \(Int(e.windowsPerSecond)) windows/s in the last"
            )
        }
        // Each figure says what it is: README "Outputs" defines them.
        for m in s.metrics {
            let pca =
                m.baselinePCAMSE.map { b in
                    b == 0
                        ? "PCA-\(s.interfaceSize) exact (the interface holds the whole window); "
                        : "PCA-\(s.interfaceSize) \(ProgressDisplay.sci(b))"
                            + (m.pcaRatio.map { ", ratio \(String(format: "%.3f", $0)) (below 1 beats PCA)" } ?? "") + "; "
                } ?? ""
            print(
                "\(m.column): window MSE \(ProgressDisplay.sci(m.windowMSE)) (normalised, on the evaluation windows; \(pca)"
                    + "window-mean baseline \(ProgressDisplay.sci(m.baselineWindowMeanMSE))); "
                    + "series MSE \(ProgressDisplay.sci(m.mse)), MAE \(ProgressDisplay.sci(m.mae)) (windows folded back, data units)"
            )
        }
        for o in s.outputs { print("wrote \(o)") }
        print("done in \((s.executionSeconds * 100).rounded() / 100) s")
    }
}
