import PluginProtocol

/// Errors of one column's reconstruction.
public struct ColumnMetrics: Codable, Sendable, Equatable {
    public var column: String
    /// Mean squared error over every window value, in normalised units (what training minimises).
    public var windowMSE: Double
    /// The same for the trivial model that reconstructs each window by its mean.
    public var baselineWindowMeanMSE: Double
    /// The same for PCA of the interface size fitted on the training windows (the best
    /// linear autoencoder); absent when the run trained nothing (a loaded model).
    public var baselinePCAMSE: Double?
    /// `windowMSE / baselinePCAMSE`: below 1 beats PCA.
    public var pcaRatio: Double?
    /// Errors of the folded reconstruction against the series, in the data's own units.
    public var mse: Double
    public var mae: Double

    enum CodingKeys: String, CodingKey {
        case column, windowMSE = "window_mse", baselineWindowMeanMSE = "baseline_window_mean_mse"
        case baselinePCAMSE = "baseline_pca_mse", pcaRatio = "pca_ratio", mse, mae
    }

    public init(
        column: String, windowMSE: Double, baselineWindowMeanMSE: Double, baselinePCAMSE: Double?, mse: Double, mae: Double
    ) {
        self.column = column
        self.windowMSE = windowMSE
        self.baselineWindowMeanMSE = baselineWindowMeanMSE
        self.baselinePCAMSE = baselinePCAMSE
        self.pcaRatio = baselinePCAMSE.flatMap { $0 > 0 ? windowMSE / $0 : nil }
        self.mse = mse
        self.mae = mae
    }
}

/// What a run did: written by `--save-log`, and the source of the closing report.
public struct RunSummary: Codable, Sendable {
    public var startedAt: String
    public var executionSeconds: Double
    public var configuration: [String: JSONValue]
    public var encoder: PluginSummary
    public var decoder: PluginSummary?
    public var training: [TrainingResult]
    public var search: [InterfaceSearch.Step]?
    public var interfaceSize: Int
    public var windows: Int
    public var metrics: [ColumnMetrics]
    /// Windows of the input encoded and written per second (encoding overlaps the writing).
    public var encodeWindowsPerSecond: Double?
    public var coordinatorPeakRSSKilobytes: Int
    public var outputs: [String]
    /// Accounting: data rows read and bytes of the data files.
    public var rows: Int
    public var bytes: Int
    /// A shard run's rows and digests (`--rows`, `--shard`); absent for a whole run.
    public var shard: ShardReport?

    enum CodingKeys: String, CodingKey {
        case startedAt = "started_at", executionSeconds = "execution_seconds", configuration, encoder, decoder
        case training, search, interfaceSize = "interface_size", windows, metrics
        case encodeWindowsPerSecond = "encode_windows_per_second"
        case coordinatorPeakRSSKilobytes = "coordinator_peak_rss_kb", outputs, rows, bytes, shard
    }
}

/// One plugin as it was used.
public struct PluginSummary: Codable, Sendable {
    public var name: String
    public var version: String
    public var transport: String
    public var parameterCount: Int?
    public var parameters: [String: JSONValue]
    public var debugInfo: [String: JSONValue]
    public var peakRSSKilobytes: Int?

    enum CodingKeys: String, CodingKey {
        case name, version, transport, parameterCount = "parameter_count", parameters, debugInfo = "debug_info"
        case peakRSSKilobytes = "peak_rss_kb"
    }
}
