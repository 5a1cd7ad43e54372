import PluginProtocol

/// What a config fetched from a server may set: training and plugin parameters, nothing else.
///
/// An allow-list, not a deny-list: a key added to `RunConfiguration` later stays local until
/// someone decides it is safe to share. Everything outside it names a local path, a URL (where a
/// token would be sent), a sandbox, trust or run limit, or how this machine reports, which only
/// the local operator decides (command line or a local file).
public enum RemoteConfigScope {
    /// The keys a remote config may set.
    public static let allowedKeys: Set<String> = [
        "validation_split", "encoder_plugin", "decoder_plugin", "window_size", "initial_size", "step_size",
        "threshold_error", "incremental_search", "epochs", "batch_size", "learning_rate", "early_stopping_patience",
        "seed", "normalization", "columns", "headers", "max_steps", "force_date", "encoder", "decoder",
        "plugin_parameters",
    ]

    /// Why a key outside the allow-list stays local, for the refusal message.
    static func reason(_ key: String) -> String {
        switch key {
        case "input_file", "validation_file", "output_file", "evaluate_encoder", "evaluate_decoder", "save_log",
            "save_config", "loss_plot":
            "it names a local file"
        case "save_encoder", "save_decoder", "load_encoder", "load_decoder": "it names a local file or a URL a token is sent to"
        case "allow_weaker_sandbox", "plugin_limits": "it is a sandbox setting"
        case "allow_downgrade": "it is a trust setting"
        case "max_run_seconds", "plugin_restarts": "it is a limit of this machine's run"
        case "quiet_mode": "it silences this machine's warnings"
        default: "it is not a training or plugin parameter"
        }
    }

    /// Throws for the first key (in sorted order) of `layer` a remote config may not set.
    public static func check(_ layer: [String: JSONValue], source: String) throws {
        for key in layer.keys.sorted() where !allowedKeys.contains(key) {
            throw ConfigurationError.invalid(
                key: key,
                reason:
                    "a remote config (\(source)) may not set it: \(reason(key)). A remote config sets training and plugin "
                    + "parameters only (\(allowedKeys.sorted().joined(separator: ", "))); set '\(key)' on the command line "
                    + "or in a local --load-config file")
        }
    }

    /// The part of `object` a remote config may carry (what `--remote-save-config` sends).
    public static func shareable(_ object: [String: JSONValue]) -> [String: JSONValue] {
        object.filter { allowedKeys.contains($0.key) }
    }
}
