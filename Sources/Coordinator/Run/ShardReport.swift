import FeatureExtractorSupport
import PluginHost

/// What a shard run wrote, for whoever merges the shards (`--json`, `--save-log`): its rows,
/// the digest of every output and of the models that made them. A merger recomputes each
/// digest over the bytes it received and refuses a shard whose model is not the one it sent.
public struct ShardReport: Codable, Sendable, Equatable {
    /// An output file and the SHA-256 of its bytes.
    public struct Output: Codable, Sendable, Equatable {
        public var path: String
        public var sha256: String
        public var bytes: Int
    }

    /// `rows START:END` or `shard I/N`, as asked.
    public var selection: String
    /// The rows written: `[start, end]`, end excluded.
    public var rows: [Int]
    /// The input's data rows, when this shard read to its end.
    public var totalRows: Int?
    /// Feature rows written (windows per column).
    public var windows: Int
    /// Whether the outputs start with the header (only the shard starting at row 0).
    public var header: Bool
    /// SHA-256 of the encoder (and decoder) model files, as verified and loaded.
    public var encoderSHA256: String
    public var decoderSHA256: String?
    public var outputs: [Output]

    enum CodingKeys: String, CodingKey {
        case selection, rows, totalRows = "total_rows", windows, header
        case encoderSHA256 = "encoder_sha256", decoderSHA256 = "decoder_sha256", outputs
    }
}

extension FeatureExtractionRun {
    /// A shard is only exact with a saved model: training, or statistics fitted on the shard's rows, would differ by shard.
    func checkShardable() throws {
        guard let rows else { return }
        let key = if case .shard = rows { "shard" } else { "rows" }
        guard config.loadEncoder != nil else {
            throw ConfigurationError.invalid(
                key: key,
                reason: "a shard encodes with a saved model: give --load-encoder (and --load-decoder for --evaluate-decoder); "
                    + "training on a shard would give each shard its own model")
        }
        guard config.validationFile == nil else {
            throw ConfigurationError.invalid(
                key: key, reason: "a shard covers rows of the input only: drop --validation-file (or run it unsharded)")
        }
    }

    /// The shard's report: digests of the staged files, which are what the commit renames into place.
    func shardReport(_ shard: ShardRows, inputs: RunInputs, staged: [(path: String, file: String)]) throws -> ShardReport {
        ShardReport(
            selection: rows?.description ?? "", rows: [shard.rows.lowerBound, shard.rows.upperBound],
            totalRows: shard.totalRows, windows: shard.featureWindows.count, header: shard.writesHeader,
            encoderSHA256: inputs.encoderSHA256 ?? "", decoderSHA256: inputs.decoderSHA256,
            outputs: try staged.map { path, file in
                ShardReport.Output(path: path, sha256: try FileDigest.sha256Hex(path: file), bytes: Self.fileSize(file))
            })
    }
}
