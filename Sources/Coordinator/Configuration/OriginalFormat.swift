import PluginProtocol

/// The Python original's configuration keys (github.com/harveybc/feature-extractor: its
/// `app/config.py` over its history, its plugins' `plugin_params`, and the example configs it
/// shares with its sibling tools) and what becomes of each here.
///
/// One table, so the loader, `config migrate` and the README cannot drift apart.
public enum OriginalFormat {
    /// Keys the original spelt differently; the value is used as is under our name.
    public static let renamed: [String: String] = [
        "early_patience": "early_stopping_patience",
        "loss_plot_file": "loss_plot",
        "max_steps_train": "max_steps",
        // The first versions' names.
        "csv_file": "input_file", "csv_input_path": "input_file", "csv_output_path": "output_file",
        "config_save_path": "save_config", "training_batch_size": "batch_size", "initial_encoding_dim": "initial_size",
        "encoding_step_size": "step_size", "mse_threshold": "threshold_error", "save_encoder_path": "save_encoder",
        "save_decoder_path": "save_decoder", "load_encoder_params": "load_encoder", "load_decoder_params": "load_decoder",
    ]

    /// Plugin knobs the original set at the top level (every plugin read what it knew from one
    /// flat config). They go to `plugin_parameters`, which the run gives to each plugin that
    /// declares them. The list holds the original plugins' knobs and our bundled families'.
    public static let pluginKnobs: Set<String> = [
        // The original's ANN, CNN, LSTM, transformer and VAE plugins.
        "intermediate_layers", "initial_layer_size", "layer_size_divisor", "activation", "l2_reg", "dropout_rate",
        "initial_conv_filters", "num_conv_layers", "num_strided_conv_layers", "min_conv_filters", "lstm_units",
        "conv_activation", "output_activation", "num_heads", "ff_dim", "embedding_dim", "branch_units", "merged_units",
        // Our bundled families' (feature-extractor plugin info ROLE NAME lists them).
        "learning_rate_decay", "spectral", "linear_path", "kernel_size", "pooling", "heads", "ff_size", "patch_size",
        "jump_share",
    ]

    /// The value a renamed key keeps here, and a note when it had to change: the original drew
    /// its loss plot as PNG, this tool draws SVG, so `x.png` becomes `x.svg`.
    public static func translatedValue(_ value: JSONValue, of key: String) -> (value: JSONValue, note: String?) {
        guard key == "loss_plot_file", let path = value.stringValue, path.lowercased().hasSuffix(".png") else {
            return (value, nil)
        }
        let svg = String(path.dropLast(4)) + ".svg"
        return (.string(svg), "loss_plot_file '\(path)' is drawn as SVG, to '\(svg)' (PNG is not drawn here)")
    }

    /// Plugin names the original used for our families: its default plugin was the ANN.
    public static let pluginNames: [String: String] = ["default": "ann", "default_encoder": "ann", "default_decoder": "ann"]

    /// Why a key of the original has no effect here; the warning groups keys by it.
    public enum Inert: String, CaseIterable, Sendable {
        case plots = "plots (only the loss plot is drawn: loss_plot)"
        case preprocessing = "preprocessing (a separate tool; the CSV is read as given and normalised with training statistics)"
        case siblingTools = "the predictor's and strategy tools' settings (sibling tools sharing these files)"
        case losses = "training extras this tool does not have (its loss is the window MSE)"
        case alwaysOn = "sliding windows (always on here)"
        case commandLineOnly = "command line only here (--load-config, --remote-*, --plugins-dir; credentials never in a file)"
    }

    /// Keys the original (or a sibling tool sharing its config files) used and we do not.
    public static let inert: [String: Inert] = {
        var table: [String: Inert] = [:]
        func add(_ reason: Inert, _ keys: [String]) { for k in keys { table[k] = reason } }
        add(
            .plots,
            [
                "model_plot_file", "predictions_plot_file", "stl_plot_file", "wavelet_plot_file",
                "tapper_plot_file", "plot_color_predicted", "plot_color_true", "plot_color_uncertainty", "plot_color_target",
                "uncertainty_color_alpha", "plot_points", "plotted_horizon", "tapper_plot_points", "show_plots",
            ])
        add(
            .preprocessing,
            [
                "preprocessor_plugin", "use_normalization_json", "normalize_features", "use_returns", "input_offset",
                "dataset_periodicity", "use_daily", "use_stl", "stl_period", "stl_window", "stl_trend", "use_wavelets",
                "wavelet_name", "wavelet_levels", "wavelet_mode", "use_multi_tapper", "mtm_window_len", "mtm_step",
                "mtm_time_bandwidth", "mtm_num_tapers", "mtm_freq_bands", "future_shift",
            ])
        add(
            .siblingTools,
            [
                "x_train_file", "y_train_file", "x_validation_file", "y_validation_file", "x_test_file", "y_test_file",
                "test_file", "target_column", "results_file", "uncertainties_file", "uncertainty_file", "predicted_horizons",
                "mc_samples", "iterations", "max_steps_val", "max_steps_test", "use_strategy", "strategy_plugin_group",
                "strategy_plugin_name", "strategy_1h_prediction", "strategy_1h_uncertainty", "strategy_1d_prediction",
                "strategy_1d_uncertainty", "strategy_base_dataset", "strategy_load_parameters", "target_scaling_factor",
                "optimizer_output_file", "penalty_close_lambda", "penalty_far_lambda", "overfitting_penalty", "debug_file",
            ])
        add(
            .losses,
            [
                "kl_weight", "kl_anneal_epochs", "kl_beta", "mmd_sigma", "mmd_weight", "mmd_lambda", "sigma_mmd", "use_mmd",
                "use_mmd_weight_adjustment", "statistical_loss_weight", "skew_loss_weight", "kurtosis_loss_weight",
                "covariance_loss_weight", "min_delta", "start_from_epoch", "early_monitor", "reduce_lr_patience",
                "adam_clipnorm", "use_pos_enc",
            ])
        add(.alwaysOn, ["use_sliding_windows", "use_sliding_window"])
        add(
            .commandLineOnly,
            [
                "load_config", "config_load_path", "remote_log", "remote_load_config", "remote_save_config", "remote_config",
                "remote_log_url", "remote_config_url", "username", "password", "remote_username", "remote_password",
                "plugin_directory",
            ])
        return table
    }()

    /// Every key the original is known to have used, whatever becomes of it here.
    public static var allKeys: Set<String> {
        Set(renamed.keys).union(pluginKnobs).union(inert.keys)
    }
}
