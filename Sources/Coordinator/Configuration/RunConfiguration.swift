import PluginHost
import PluginProtocol

/// Everything one run needs, after layering defaults, a config file and the command line.
///
/// Keys use the original tool's snake_case names so its config files keep
/// working. Plugin parameters live in their own namespaces (`encoder`,
/// `decoder`) and never leak from one plugin to the other.
public struct RunConfiguration: Codable, Sendable, Equatable {
    public var inputFile: String?
    public var validationFile: String?
    /// Fraction of the input's windows kept for validation (chronologically last) when no validation file is given.
    public var validationSplit: Double = 0.2
    public var outputFile: String? = "features.csv"
    public var saveEncoder: String?
    public var saveDecoder: String?
    public var loadEncoder: String?
    public var loadDecoder: String?
    public var evaluateEncoder: String?
    public var evaluateDecoder: String?
    public var encoderPlugin = "ann"
    public var decoderPlugin = "ann"
    public var windowSize = 128
    /// Interface size trained first (and the only one without a threshold).
    public var initialSize = 32
    /// Change of interface size between search steps.
    public var stepSize = 8
    /// Validation MSE (normalised) the interface-size search aims for; nil: no search.
    public var thresholdError: Double?
    /// Search direction: grow the interface until the threshold is met (true) or
    /// shrink it while the threshold still holds (false).
    public var incrementalSearch = true
    public var epochs = 5
    public var batchSize = 128
    /// Sets `learning_rate` on each plugin that declares it, unless its namespace sets one.
    public var learningRate: Double?
    /// Epochs without improvement of the validation MSE before training stops; 0 disables.
    public var earlyStoppingPatience = 5
    /// Times a failed plugin is restarted (resuming from the last completed epoch) before the run fails.
    public var pluginRestarts = 0
    /// The operator's bound on the whole run, in seconds: no plugin call waits past it.
    public var maxRunSeconds: Double?
    /// Encoder processes that compute the features side by side (copies of the trained or
    /// loaded encoder, one per core); nil: one per core, up to 4, for inputs of
    /// `EncodeProcesses.automaticFromWindows` windows or more, else one.
    public var encodeProcesses: Int?
    public var seed: UInt64 = 42
    public var normalization: String = "minmax"
    /// Selected columns by header name or 1-based number; nil: every numeric column.
    public var columns: [String]?
    /// Whether the CSV has a header row; nil: detect.
    public var headers: Bool?
    /// Use at most this many rows of the input (the original's max_steps).
    public var maxSteps: Int?
    public var forceDate = false
    public var quietMode = false
    public var saveLog: String?
    public var saveConfig: String?
    /// Training and validation loss per epoch drawn as SVG (the original's `loss_plot_file`).
    public var lossPlot: String?
    public var encoder: [String: JSONValue] = [:]
    public var decoder: [String: JSONValue] = [:]
    /// Parameters for whichever plugin declares them (the original's top-level knobs); a value
    /// in `encoder`/`decoder` wins for its plugin.
    public var pluginParameters: [String: JSONValue] = [:]
    /// The operator's plugin limits: they can only tighten the sandbox policy's.
    public var pluginLimits: ResourceLimits?
    /// Mechanisms the policy requires that the operator accepts to run without
    /// (landlock, user_namespace, network_namespace). Never set by a plugin.
    public var allowWeakerSandbox: [String] = []
    /// Accept a plugin manifest older than one already accepted from the same key.
    public var allowDowngrade = false

    public init() {}

    enum CodingKeys: String, CodingKey, CaseIterable {
        case inputFile = "input_file", validationFile = "validation_file", validationSplit = "validation_split"
        case outputFile = "output_file", saveEncoder = "save_encoder", saveDecoder = "save_decoder"
        case loadEncoder = "load_encoder", loadDecoder = "load_decoder"
        case evaluateEncoder = "evaluate_encoder", evaluateDecoder = "evaluate_decoder"
        case encoderPlugin = "encoder_plugin", decoderPlugin = "decoder_plugin"
        case windowSize = "window_size", initialSize = "initial_size", stepSize = "step_size"
        case thresholdError = "threshold_error", incrementalSearch = "incremental_search"
        case epochs, batchSize = "batch_size", learningRate = "learning_rate"
        case earlyStoppingPatience = "early_stopping_patience", pluginRestarts = "plugin_restarts", maxRunSeconds =
            "max_run_seconds", seed, normalization, columns,
            headers
        case encodeProcesses = "encode_processes"
        case maxSteps = "max_steps", forceDate = "force_date", quietMode = "quiet_mode"
        case saveLog = "save_log", saveConfig = "save_config", lossPlot = "loss_plot", encoder, decoder, pluginParameters =
            "plugin_parameters"
        case pluginLimits = "plugin_limits", allowWeakerSandbox = "allow_weaker_sandbox", allowDowngrade = "allow_downgrade"
    }

    /// The names a config file may use.
    public static let knownKeys = Set(CodingKeys.allCases.map(\.rawValue))

    /// Cross-field checks; each error names the key and says what would work.
    public func validate() throws {
        func bad(_ key: String, _ why: String) -> ConfigurationError { .invalid(key: key, reason: why) }
        guard (2...65_536).contains(windowSize) else { throw bad("window_size", "must be 2...65536, got \(windowSize)") }
        guard (1...windowSize).contains(initialSize) else {
            throw bad("initial_size", "must be 1...window_size (\(windowSize)), got \(initialSize)")
        }
        guard stepSize >= 1 else { throw bad("step_size", "must be at least 1") }
        if let t = thresholdError { guard t.isFinite, t > 0 else { throw bad("threshold_error", "must be a positive number") } }
        guard (0...100_000).contains(epochs) else { throw bad("epochs", "must be 0...100000") }
        guard (1...65_536).contains(batchSize) else { throw bad("batch_size", "must be 1...65536") }
        if let lr = learningRate { guard lr.isFinite, lr > 0, lr <= 1 else { throw bad("learning_rate", "must be in (0, 1]") } }
        guard validationSplit >= 0, validationSplit < 1 else { throw bad("validation_split", "must be in [0, 1)") }
        guard earlyStoppingPatience >= 0 else { throw bad("early_stopping_patience", "must be 0 or more") }
        guard (0...100).contains(pluginRestarts) else { throw bad("plugin_restarts", "must be 0...100") }
        if let s = maxRunSeconds { guard s.isFinite, s > 0 else { throw bad("max_run_seconds", "must be a positive number") } }
        if let n = encodeProcesses { guard (1...64).contains(n) else { throw bad("encode_processes", "must be 1...64") } }
        // The decoder is seeded with seed + 1, which must still fit the protocol's 2^53.
        guard seed < 1 << 53 else { throw bad("seed", "must be below 2^53") }
        guard normalizationMethod != nil else { throw bad("normalization", "must be one of minmax, zscore, none") }
        if let m = maxSteps {
            guard m >= windowSize else { throw bad("max_steps", "must be at least window_size (\(windowSize))") }
        }
        guard PluginName.isValid(encoderPlugin) else {
            throw bad("encoder_plugin", "'\(encoderPlugin.prefix(64))' is not a plugin name")
        }
        guard PluginName.isValid(decoderPlugin) else {
            throw bad("decoder_plugin", "'\(decoderPlugin.prefix(64))' is not a plugin name")
        }
        for name in allowWeakerSandbox where SandboxMechanism(rawValue: name) == nil {
            throw bad(
                "allow_weaker_sandbox",
                "'\(name.prefix(32))' is not one of \(SandboxMechanism.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        for (key, value) in [
            ("save_encoder", saveEncoder), ("save_decoder", saveDecoder), ("load_encoder", loadEncoder),
            ("load_decoder", loadDecoder),
        ] {
            if let v = value, v.contains("://"), !v.lowercased().hasPrefix("https://") {
                throw bad(key, "only https:// URLs are allowed for remote models")
            }
        }
        if let plot = lossPlot, let ext = plot.split(separator: ".").last?.lowercased(), plot.contains("."),
            ["png", "jpg", "jpeg", "gif", "pdf", "eps", "ps", "tif", "tiff", "bmp", "webp"].contains(ext)
        {
            throw bad("loss_plot", "the plot is drawn as SVG only: give a name ending in .svg, not '\(plot.prefix(200))'")
        }
        if loadDecoder != nil && loadEncoder == nil {
            throw bad("load_decoder", "needs load_encoder too: the decoder reads the encoder's features")
        }
        if evaluateDecoder != nil && loadEncoder != nil && loadDecoder == nil {
            throw bad("evaluate_decoder", "needs load_decoder when the encoder is loaded instead of trained")
        }
        if saveDecoder != nil && loadEncoder != nil && loadDecoder == nil {
            throw bad("save_decoder", "needs a decoder: train one (no load_encoder) or load one with load_decoder")
        }
    }

    public var normalizationMethod: NormalizationMethod? { NormalizationMethod(rawValue: normalization) }

    /// True when models are loaded rather than trained.
    public var isEvaluationOnly: Bool { loadEncoder != nil }
}

/// Configuration that cannot be used, located by key (and file when there is one).
public enum ConfigurationError: Error, Equatable, CustomStringConvertible {
    case invalid(key: String, reason: String)
    case unknownKey(key: String, source: String, suggestion: String? = nil)
    case badFile(path: String, reason: String)

    public var description: String {
        switch self {
        case .invalid(let key, let reason): "configuration '\(key)': \(reason)"
        case .unknownKey(let key, let source, let suggestion?):
            "\(source): unknown configuration key '\(key.prefix(64))': did you mean '\(suggestion)'?"
        case .unknownKey(let key, let source, nil):
            "\(source): unknown configuration key '\(key.prefix(64))' (known keys: \(RunConfiguration.knownKeys.sorted().joined(separator: ", ")))"
        case .badFile(let path, let reason): "configuration file \(path): \(reason)"
        }
    }
}
