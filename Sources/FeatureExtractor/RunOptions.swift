import ArgumentParser
import Coordinator
import Foundation
import PluginProtocol
import RemoteClient

/// The run's options, named as in the original tool (its underscore spellings still work).
/// Every option is optional here: only what is given overrides the config file.
struct RunOptions: ParsableArguments {
    @Argument(help: "The CSV file to train on and extract features from.")
    var input: String?

    @Option(name: [.customLong("input-file"), .customLong("input_file")], help: .hidden)
    var inputFile: String?

    @Option(
        name: [.customLong("validation-file"), .customLong("validation_file")],
        help: "CSV file to validate on. Without it, the last --validation-split of the input is held out.")
    var validationFile: String?

    @Option(
        name: [.customLong("validation-split"), .customLong("validation_split")],
        help: "Fraction held out for validation (default 0.2).")
    var validationSplit: Double?

    @Option(
        name: [.customLong("output-file"), .customLong("output_file")],
        help: "Features CSV, one row per window (default features.csv).")
    var outputFile: String?

    @Option(
        name: [.customLong("save-encoder"), .customLong("save_encoder")],
        help: "Save the trained encoder (safetensors, signed), to a path or an https:// server URL (…/v1/models/NAME/versions/V)."
    )
    var saveEncoder: String?
    @Option(name: [.customLong("save-decoder"), .customLong("save_decoder")], help: "Save the trained decoder (safetensors).")
    var saveDecoder: String?
    @Option(
        name: [.customLong("load-encoder"), .customLong("load_encoder")],
        help: "Load an encoder (path or https:// URL; its signature must verify) instead of training.")
    var loadEncoder: String?
    @Option(name: [.customLong("load-decoder"), .customLong("load_decoder")], help: "Load a decoder (with --load-encoder).")
    var loadDecoder: String?
    @Option(
        name: [.customLong("evaluate-encoder"), .customLong("evaluate_encoder")],
        help: "Write the features of the evaluation data (the validation file, else the input).")
    var evaluateEncoder: String?
    @Option(
        name: [.customLong("evaluate-decoder"), .customLong("evaluate_decoder")],
        help: "Write the reconstruction of the evaluation data, windows folded back into the series.")
    var evaluateDecoder: String?

    @Option(name: [.customLong("encoder-plugin"), .customLong("encoder_plugin")], help: "Encoder plugin name (default ann).")
    var encoderPlugin: String?
    @Option(name: [.customLong("decoder-plugin"), .customLong("decoder_plugin")], help: "Decoder plugin name (default ann).")
    var decoderPlugin: String?
    @Option(
        name: .customLong("encoder-param"),
        help: ArgumentHelp("An encoder parameter, e.g. activation=relu (repeatable).", valueName: "key=value"))
    var encoderParams: [String] = []
    @Option(
        name: .customLong("decoder-param"),
        help: ArgumentHelp("A decoder parameter, e.g. intermediate_layers=2 (repeatable).", valueName: "key=value"))
    var decoderParams: [String] = []
    @Option(
        name: .customLong("plugin-param"),
        help: ArgumentHelp(
            "A parameter for whichever plugin declares it (both, if both do), e.g. l2_reg=1e-5 (repeatable).",
            valueName: "key=value"))
    var pluginParams: [String] = []
    // The original's top-level plugin knobs on its command line: routed like --plugin-param.
    @Option(name: .customLong("intermediate_layers"), help: .hidden) var intermediateLayers: String?
    @Option(name: .customLong("initial_layer_size"), help: .hidden) var initialLayerSize: String?
    @Option(name: .customLong("layer_size_divisor"), help: .hidden) var layerSizeDivisor: String?
    @Option(name: .customLong("activation"), help: .hidden) var activation: String?
    @Option(name: .customLong("l2_reg"), help: .hidden) var l2Reg: String?
    @Option(name: .customLong("dropout_rate"), help: .hidden) var dropoutRate: String?
    // The original's switches that have no effect here: accepted, and warned about.
    @Flag(name: .customLong("use_sliding_windows"), help: .hidden) var useSlidingWindows = false
    @Flag(name: .customLong("use_pos_enc"), help: .hidden) var usePositionalEncoding = false
    @Option(name: .customLong("plugins-dir"), help: "Directory of plugin packages, searched first (repeatable).")
    var pluginsDirs: [String] = []

    @Option(name: [.customLong("window-size"), .customLong("window_size")], help: "Sliding window length (default 128).")
    var windowSize: Int?
    @Option(
        name: [.customLong("initial-size"), .customLong("initial_size")],
        help: "Interface (feature) size, or the search's first (default 32).")
    var initialSize: Int?
    @Option(
        name: [.customLong("step-size"), .customLong("step_size")], help: "Interface size change per search step (default 8).")
    var stepSize: Int?
    @Option(
        name: [.customLong("threshold-error"), .customLong("threshold_error")],
        help: "Validation MSE the interface-size search aims for; without it there is no search.")
    var thresholdError: Double?
    @Flag(
        name: [.customLong("incremental-search"), .customLong("incremental_search")], inversion: .prefixedNo,
        help: "Grow the interface until the threshold is met (default), or shrink it while it holds.")
    var incrementalSearch: Bool?

    @Option(help: "Training epochs (default 5).")
    var epochs: Int?
    @Option(name: [.customLong("batch-size"), .customLong("batch_size")], help: "Windows per training step (default 128).")
    var batchSize: Int?
    @Option(
        name: [.customLong("learning-rate"), .customLong("learning_rate")],
        help: "Learning rate of both plugins, unless a plugin parameter sets one.")
    var learningRate: Double?

    @Option(
        name: .customLong("max-run-time"),
        help: ArgumentHelp(
            "Stop the run after this many seconds, plugins and all (exit 69): a bound for unattended jobs.",
            valueName: "seconds"))
    var maxRunTime: Double?
    @Option(
        name: [
            .customLong("early-stopping-patience"), .customLong("early_stopping_patience"), .customLong("early_patience"),
        ],
        help: "Epochs without validation improvement before stopping; 0 disables (default 5).")
    var earlyStoppingPatience: Int?
    @Option(
        name: [.customLong("plugin-restarts"), .customLong("plugin_restarts")],
        help: "Restart a failed plugin up to N times, resuming from the last completed epoch (default 0).")
    var pluginRestarts: Int?
    @Option(
        name: [.customLong("encode-processes"), .customLong("encode_processes")],
        help: ArgumentHelp(
            "Encoder processes computing the features side by side (default: one per core, up to 4, from "
                + "\(EncodeProcesses.automaticFromWindows) windows on; fewer windows use one). The features do not depend on it.",
            valueName: "n"))
    var encodeProcesses: Int?
    @Option(help: "Seed of every random choice; the same seed gives the same model (default 42).")
    var seed: UInt64?
    @Option(help: "minmax (default), zscore or none; statistics come from the training data.")
    var normalization: String?
    @Option(help: "Columns to use, by header name or 1-based number, comma-separated (default: every numeric column).")
    var columns: String?
    @Flag(inversion: .prefixedNo, help: "Whether the CSV has a header row (default: detect).")
    var headers: Bool?
    @Option(
        name: .customLong("rows"),
        help: ArgumentHelp(
            """
            Encode only these input rows, a shard of a larger job (with --load-encoder): data rows numbered from 0, \
            END excluded, START: to the end. A window is written by the shard holding its last row, a reconstructed \
            row by the shard holding it, the header only by the shard starting at row 0: the shards' outputs, \
            concatenated in order, are the whole run's bytes. --json reports each output's SHA-256 and the model's.
            """,
            valueName: "start:end"))
    var rows: String?
    @Option(
        name: .customLong("shard"),
        help: ArgumentHelp(
            "Like --rows, for part I (from 0) of N near-equal parts of the input's rows, e.g. 0/4 ... 3/4.", valueName: "i/n"))
    var shard: String?
    @Option(
        name: [.customLong("max-steps"), .customLong("max_steps"), .customLong("max_steps_train")],
        help: "Use at most this many input rows.")
    var maxSteps: Int?
    @Flag(
        name: [.customLong("force-date"), .customLong("force_date")], inversion: .prefixedNo,
        help: "Put the window's end date first in output rows.")
    var forceDate: Bool?
    @Flag(
        name: [.customLong("quiet-mode"), .customLong("quiet_mode"), .customShort("q")], inversion: .prefixedNo,
        help: "Print errors only.")
    var quietMode: Bool?

    @Option(
        name: [.customLong("remote-load-config"), .customLong("remote_load_config")],
        help: "An https:// URL of a config on a feature-extractor server, applied between --load-config and the command line.")
    var remoteLoadConfig: String?
    @Option(
        name: [.customLong("remote-save-config"), .customLong("remote_save_config")],
        help: "An https:// URL (…/v1/configs/NAME) to store the merged configuration as a new version.")
    var remoteSaveConfig: String?
    @Option(
        name: [.customLong("remote-log"), .customLong("remote_log")],
        help:
            "An https:// URL (…/v1/logs) for the run's events; never blocks the run, undelivered events are kept for the next run."
    )
    var remoteLog: String?
    @Option(name: .customLong("ca-file"), help: "PEM file of the CA that signed the server's certificate (private deployments).")
    var caFile: String?
    @Option(
        name: .customLong("remote-host"),
        help: """
            A server (HOST or HOST:PORT) the token may be sent to besides the hosts of the URLs on this command line; \
            needed for model URLs that come from a --load-config file (repeatable).
            """)
    var remoteHosts: [String] = []

    /// The servers the token may go to: those of the URLs given here, and --remote-host. A config
    /// file or a remote config can never add one.
    func tokenScope() throws -> TokenScope {
        let models = [saveEncoder, saveDecoder, loadEncoder, loadDecoder].compactMap { $0 }.filter { $0.contains("://") }
        return try TokenScope(
            urls: [remoteLoadConfig, remoteSaveConfig, remoteLog].compactMap { $0 } + models, hosts: remoteHosts)
    }

    @Option(
        name: .customLong("allow-weaker-sandbox"),
        help:
            "Run even if this required sandbox mechanism is missing: landlock, user_namespace or network_namespace (repeatable).")
    var allowWeakerSandbox: [String] = []

    @Option(
        name: [.customLong("load-config"), .customLong("load_config")],
        help: "JSON configuration file, applied under the command line.")
    var loadConfig: String?
    @Option(name: [.customLong("save-config"), .customLong("save_config")], help: "Save the merged configuration as JSON.")
    var saveConfig: String?
    @Option(
        name: [.customLong("save-log"), .customLong("save_log")],
        help: "Save a JSON summary: timings, final configuration, metrics, plugins' debug variables.")
    var saveLog: String?
    @Option(
        name: [.customLong("loss-plot"), .customLong("loss_plot"), .customLong("loss_plot_file")],
        help: ArgumentHelp(
            "Draw training and validation loss per epoch (per interface size in a search) as an SVG picture.",
            valueName: "file.svg"))
    var lossPlot: String?

    /// The options given, as a configuration layer (config-file key names).
    func layer() throws -> [String: JSONValue] {
        var l: [String: JSONValue] = [:]
        func set(_ key: String, _ v: String?) { if let v { l[key] = .string(v) } }
        func set(_ key: String, _ v: Int?) { if let v { l[key] = .number(Double(v)) } }
        func set(_ key: String, _ v: Double?) throws {
            guard let v else { return }
            // JSON has no NaN or infinity: "nan" or "1e309" would otherwise fail deep inside as an internal error.
            guard v.isFinite else {
                throw ValidationError("--\(key.replacingOccurrences(of: "_", with: "-")) must be a finite number, got \(v)")
            }
            l[key] = .number(v)
        }
        func set(_ key: String, _ v: Bool?) { if let v { l[key] = .bool(v) } }
        if input != nil && inputFile != nil {
            throw ValidationError("give the input file once: as the argument or as --input-file")
        }
        set("input_file", input ?? inputFile)
        set("validation_file", validationFile); try set("validation_split", validationSplit); set("output_file", outputFile)
        set("save_encoder", saveEncoder); set("save_decoder", saveDecoder)
        set("load_encoder", loadEncoder); set("load_decoder", loadDecoder)
        set("evaluate_encoder", evaluateEncoder); set("evaluate_decoder", evaluateDecoder)
        set("encoder_plugin", encoderPlugin); set("decoder_plugin", decoderPlugin)
        set("window_size", windowSize); set("initial_size", initialSize); set("step_size", stepSize)
        try set("threshold_error", thresholdError); set("incremental_search", incrementalSearch)
        set("epochs", epochs); set("batch_size", batchSize); try set("learning_rate", learningRate)
        try set("max_run_seconds", maxRunTime)
        set("early_stopping_patience", earlyStoppingPatience); set("plugin_restarts", pluginRestarts)
        set("encode_processes", encodeProcesses)
        if let seed { l["seed"] = .number(Double(seed)) }
        set("normalization", normalization); set("headers", headers); set("max_steps", maxSteps)
        set("force_date", forceDate); set("quiet_mode", quietMode)
        set("save_config", saveConfig); set("save_log", saveLog); set("loss_plot", lossPlot)
        if let columns {
            l["columns"] = .array(columns.split(separator: ",").map { .string($0.trimmingCharacters(in: .whitespaces)) })
        }
        if !allowWeakerSandbox.isEmpty { l["allow_weaker_sandbox"] = .array(allowWeakerSandbox.map { .string($0) }) }
        if !encoderParams.isEmpty { l["encoder"] = .object(try Self.parameters(encoderParams, option: "--encoder-param")) }
        if !decoderParams.isEmpty { l["decoder"] = .object(try Self.parameters(decoderParams, option: "--decoder-param")) }
        let knobs = [
            ("intermediate_layers", intermediateLayers), ("initial_layer_size", initialLayerSize),
            ("layer_size_divisor", layerSizeDivisor), ("activation", activation), ("l2_reg", l2Reg),
            ("dropout_rate", dropoutRate),
        ].compactMap { name, value in value.map { "\(name)=\($0)" } }
        if !(pluginParams + knobs).isEmpty {
            l["plugin_parameters"] = .object(try Self.parameters(pluginParams + knobs, option: "--plugin-param"))
        }
        return l
    }

    /// `--rows` or `--shard`, parsed; nil for the whole input.
    func rowSelection() throws -> RowSelection? {
        do {
            switch (rows, shard) {
            case (nil, nil): return nil
            case (let text?, nil): return try RowSelection.rows(text)
            case (nil, let text?): return try RowSelection.shard(text)
            case (_?, _?): throw ValidationError("give --rows or --shard, not both")
            }
        } catch ConfigurationError.invalid(let key, let reason) {
            // A usage error (exit 64) naming the option, as the argument parser names its own.
            throw ValidationError("--\(key) \(reason)")
        }
    }

    /// The original's options given that have no effect here, for a warning.
    var inertOptions: [String] {
        [("--use_sliding_windows", useSlidingWindows), ("--use_pos_enc", usePositionalEncoding)].filter(\.1).map(\.0)
    }

    /// `key=value` pairs; values read as JSON numbers or booleans when they are, else as strings.
    static func parameters(_ pairs: [String], option: String) throws -> [String: JSONValue] {
        var out: [String: JSONValue] = [:]
        for pair in pairs {
            guard let eq = pair.firstIndex(of: "="), PluginName.isValidKey(String(pair[..<eq])) else {
                throw ValidationError("\(option) takes key=value with a key like learning_rate, got '\(pair.prefix(64))'")
            }
            let text = String(pair[pair.index(after: eq)...])
            let value: JSONValue
            if text == "true" || text == "false" {
                value = .bool(text == "true")
            } else if let n = Double(text), n.isFinite, text.first != "+" {
                value = .number(n)
            } else {
                value = .string(text)
            }
            out[String(pair[..<eq])] = value
        }
        return out
    }
}
