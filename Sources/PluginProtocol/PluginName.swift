import FeatureExtractorSupport

/// Name rules shared by the host and the SDK.
public enum PluginName {
    /// `^[a-z][a-z0-9_-]{0,63}$`: safe as a directory name, never a path.
    public static func isValid(_ name: String) -> Bool {
        Identifier.isValid(name, punctuation: "_-")
    }

    /// `^[a-z][a-z0-9_]{0,63}$`: parameter and debug-variable names.
    public static func isValidKey(_ key: String) -> Bool {
        Identifier.isValid(key, punctuation: "_")
    }
}
