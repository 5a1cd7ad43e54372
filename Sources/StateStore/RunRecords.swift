import Foundation
import GRDB

/// One run of the tool, from ``StateStore/beginRun(actor:command:)`` to
/// ``StateStore/finishRun(_:outcome:seconds:rows:bytes:)``. A run that never finished
/// (crashed, killed) keeps `finishedAt` nil.
public struct RunRecord: Codable, Sendable, Equatable {
    public var id: Int64
    public var actor: String
    public var command: String
    public var startedAt: Date
    public var finishedAt: Date?
    public var outcome: String?
    public var seconds: Double?
    public var rows: Int?
    public var bytes: Int?
    /// SHA-256 (hex) of the run's merged configuration, see ``StateStore/configuration(run:)``.
    public var configDigest: String?

    public init(
        id: Int64, actor: String, command: String, startedAt: Date, finishedAt: Date? = nil,
        outcome: String? = nil, seconds: Double? = nil, rows: Int? = nil, bytes: Int? = nil,
        configDigest: String? = nil
    ) {
        self.id = id
        self.actor = actor
        self.command = command
        self.startedAt = startedAt
        self.finishedAt = finishedAt
        self.outcome = outcome
        self.seconds = seconds
        self.rows = rows
        self.bytes = bytes
        self.configDigest = configDigest
    }
}

extension RunRecord: FetchableRecord {
    public static func databaseDateDecodingStrategy(for column: String) -> DatabaseDateDecodingStrategy {
        StoredDates.decoding
    }
}

/// Training results of one column (or of all columns, `column` nil) in a run.
public struct RunStatistic: Codable, Sendable, Equatable {
    public var column: String?
    public var interfaceSize: Int
    public var epochs: Int
    public var mse: Double?
    public var mae: Double?
    public var windowMSE: Double?
    /// The window-mean baseline's window MSE.
    public var baselineMSE: Double?
    /// PCA of the same interface size, fitted on the training windows.
    public var pcaBaselineMSE: Double?
    public var trainingSeconds: Double
    public var windowsPerSecond: Double?

    public init(
        column: String? = nil, interfaceSize: Int, epochs: Int, mse: Double? = nil, mae: Double? = nil,
        windowMSE: Double? = nil, baselineMSE: Double? = nil, pcaBaselineMSE: Double? = nil, trainingSeconds: Double,
        windowsPerSecond: Double? = nil
    ) {
        self.column = column
        self.interfaceSize = interfaceSize
        self.epochs = epochs
        self.mse = mse
        self.mae = mae
        self.windowMSE = windowMSE
        self.baselineMSE = baselineMSE
        self.pcaBaselineMSE = pcaBaselineMSE
        self.trainingSeconds = trainingSeconds
        self.windowsPerSecond = windowsPerSecond
    }
}

// Only plain values: no date strategy needed. EncodableRecord lets `recordStatistics` reuse the
// Codable encoding and add the run id.
extension RunStatistic: FetchableRecord, EncodableRecord {}

/// A run's merged configuration as recorded by ``StateStore/recordConfiguration(run:json:sources:)``.
public struct StoredConfiguration: Sendable, Equatable {
    /// SHA-256 (hex) of `json`'s UTF-8 bytes.
    public var digest: String
    public var json: String
    /// Where the values came from, lowest precedence first, e.g. `["defaults", "file:/x.json", "command line"]`.
    public var sources: [String]
}
