import PluginHost
import RemoteClient
import StateStore

/// What a run gets from outside: where plugins live, limits, and where messages go.
/// Passed in, never global, so tests and the CLI can run several side by side.
public struct RunEnvironment: Sendable {
    public var pluginDirectories: [String]
    public var limits: RPCLimits
    /// How plugins are confined; nil runs them unconfined (only on the operator's explicit request).
    public var sandbox: SandboxSettings?
    /// Where the audit trail, accounting, statistics and trust live. A run without it is not possible.
    public var store: StateStore
    /// Who is running: the authenticated user, else the OS user.
    public var actor: String
    /// What was run (the command line, for accounting), and where the configuration came from.
    public var command: String = "run"
    public var configSources: [String] = ["defaults"]
    /// Signs saved models; nil when the machine has no signing key (saving a model then fails).
    public var signingKey: SigningKey?
    /// The HTTPS client for model URLs and remote configs; nil when the run has no remote parts.
    public var remote: RemoteClient?
    /// Where the run's key events go (`--remote-log`); never blocks or fails the run.
    public var remoteLog: RemoteLogger?
    /// `--remote-save-config`: the merged configuration is stored there as a new version.
    public var remoteSaveConfig: String?
    /// Informational lines (quiet mode silences them).
    public var info: @Sendable (String) -> Void
    /// Something the run did that the operator may not expect (a search that missed its
    /// threshold, a parameter no plugin declares); the CLI prints it on stderr.
    public var warn: @Sendable (String) -> Void = { _ in }
    /// Called after every epoch (the CLI's progress display).
    public var progress: @Sendable (EpochReport) -> Void
    /// Called after every training batch (the CLI's in-place line on a terminal); cheap when unused.
    public var batchProgress: @Sendable (BatchProgress) -> Void = { _ in }
    /// Messages plugins wrote to stderr or sent as `log`.
    public var pluginLog: @Sendable (PluginLogEvent) -> Void

    public init(
        pluginDirectories: [String], sandbox: SandboxSettings?, store: StateStore, actor: String,
        signingKey: SigningKey?, limits: RPCLimits = RPCLimits(),
        info: @escaping @Sendable (String) -> Void = { _ in },
        progress: @escaping @Sendable (EpochReport) -> Void = { _ in },
        pluginLog: @escaping @Sendable (PluginLogEvent) -> Void = { _ in }
    ) {
        self.pluginDirectories = pluginDirectories
        self.sandbox = sandbox
        self.store = store
        self.actor = actor
        self.signingKey = signingKey
        self.limits = limits
        self.info = info
        self.progress = progress
        self.pluginLog = pluginLog
    }
}
