import PluginHost

/// What a run gets from outside: where plugins live, limits, and where messages go.
/// Passed in, never global, so tests and the CLI can run several side by side.
public struct RunEnvironment: Sendable {
    public var pluginDirectories: [String]
    public var limits: RPCLimits
    /// How plugins are confined; nil runs them unconfined (only on the operator's explicit request).
    public var sandbox: SandboxSettings?
    /// Informational lines (quiet mode silences them).
    public var info: @Sendable (String) -> Void
    /// Called after every epoch (the CLI's progress display).
    public var progress: @Sendable (EpochReport) -> Void
    /// Messages plugins wrote to stderr or sent as `log`.
    public var pluginLog: @Sendable (PluginLogEvent) -> Void

    public init(pluginDirectories: [String], sandbox: SandboxSettings?, limits: RPCLimits = RPCLimits(),
                info: @escaping @Sendable (String) -> Void = { _ in },
                progress: @escaping @Sendable (EpochReport) -> Void = { _ in },
                pluginLog: @escaping @Sendable (PluginLogEvent) -> Void = { _ in }) {
        self.pluginDirectories = pluginDirectories
        self.sandbox = sandbox
        self.limits = limits
        self.info = info
        self.progress = progress
        self.pluginLog = pluginLog
    }
}
