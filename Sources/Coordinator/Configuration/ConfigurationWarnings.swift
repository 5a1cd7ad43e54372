/// Settings the run, as configured, would ignore or honour differently than their name
/// suggests. Each warning names the keys and says why, instead of the run staying silent.
public enum ConfigurationWarnings {
    /// Keys that only matter when something is trained.
    static let trainingKeys = [
        "epochs", "batch_size", "learning_rate", "early_stopping_patience", "threshold_error", "step_size",
        "incremental_search", "initial_size", "encoder", "decoder", "plugin_parameters",
    ]

    /// `explicitKeys`: the keys a file, a remote config or the command line set (defaults never warn).
    public static func check(_ c: RunConfiguration, explicitKeys: Set<String>) -> [String] {
        var warnings: [String] = []
        if c.loadEncoder != nil {
            let ignored = trainingKeys.filter(explicitKeys.contains)
            if !ignored.isEmpty {
                warnings.append(
                    "\(ignored.joined(separator: ", ")): ignored, because load_encoder loads a trained model and nothing "
                        + "is trained (its interface size and parameters come from the model file)")
            }
        } else if c.thresholdError == nil {
            let ignored = ["incremental_search", "step_size"].filter(explicitKeys.contains)
            if !ignored.isEmpty {
                warnings.append(
                    "\(ignored.joined(separator: ", ")): no effect without threshold_error (no interface-size search runs; "
                        + "interface size \(c.initialSize) is trained)")
            }
        }
        for (key, path) in [("save_encoder", c.saveEncoder), ("save_decoder", c.saveDecoder)] {
            if let path, KerasModelFile.hasKerasName(path) {
                warnings.append(
                    "\(key) '\(path)': written as signed safetensors (with \(path).sig), not as a Keras file, despite its name; "
                        + "Keras cannot read it (name it .safetensors to say what it is)")
            }
        }
        return warnings
    }
}
