/// What a plugin does in the autoencoder.
public enum PluginRole: String, Codable, Sendable, CaseIterable {
    /// Maps a window `[batch] + input_shape` to its features `[batch] + output_shape`.
    case encoder
    /// Maps features back to a reconstructed window.
    case decoder
}

/// The protocol's method names, in one place so both peers spell them alike.
public enum MethodName {
    public static let initialize = "initialize"
    public static let configure = "configure"
    public static let forward = "forward"
    public static let backward = "backward"
    public static let step = "step"
    public static let exportState = "export_state"
    public static let importState = "import_state"
    public static let debugInfo = "debug_info"
    /// Optional: only sent to plugins that declare the `fit` capability.
    public static let fit = "fit"
    public static let shutdown = "shutdown"
    /// Notification, plugin to coordinator.
    public static let log = "log"
}
