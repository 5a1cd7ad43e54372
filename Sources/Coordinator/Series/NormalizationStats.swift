/// How each column is scaled before training.
public enum NormalizationMethod: String, Codable, Sendable, CaseIterable {
    /// To [0, 1] over the training data: keeps the shape, sensitive to outliers.
    case minmax
    /// To mean 0, standard deviation 1 (population) over the training data.
    case zscore
    /// Values pass through unchanged.
    case none
}

/// Per-column statistics fitted on the TRAINING data and stored with the model, so that
/// features for new data are computed on the same scale the model learned, and
/// reconstructions can be mapped back to the original units.
///
/// `x_norm = (x - offset) / scale`, `x = x_norm * scale + offset`.
public struct NormalizationStats: Codable, Sendable, Equatable {
    public var method: NormalizationMethod
    public var columnNames: [String]
    public var offset: [Double]
    /// Never 0: a constant column gets 1 so it maps to 0 instead of dividing by zero.
    public var scale: [Double]

    public init(method: NormalizationMethod, columnNames: [String], offset: [Double], scale: [Double]) {
        self.method = method
        self.columnNames = columnNames
        self.offset = offset
        self.scale = scale
    }

    package static func fit(_ table: TimeSeriesTable, method: NormalizationMethod) -> NormalizationStats {
        var offsets: [Double] = []
        var scales: [Double] = []
        for column in table.columns {
            let (offset, scale) = fitColumn(column, method: method)
            offsets.append(offset)
            scales.append(scale)
        }
        return NormalizationStats(method: method, columnNames: table.columnNames, offset: offsets, scale: scales)
    }

    private static func fitColumn(_ values: [Double], method: NormalizationMethod) -> (Double, Double) {
        guard !values.isEmpty else { return (0, 1) }
        switch method {
        case .none:
            return (0, 1)
        case .minmax:
            var low = values[0]
            var high = values[0]
            for value in values {
                low = Swift.min(low, value)
                high = Swift.max(high, value)
            }
            return (low, usable(high - low))
        case .zscore:
            // Two passes: the one-pass sum of squares loses all precision on series like
            // prices (mean 1.3, spread 1e-3).
            let count = Double(values.count)
            let mean = values.reduce(0, +) / count
            var squares = 0.0
            for value in values {
                let delta = value - mean
                squares += delta * delta
            }
            return (mean, usable((squares / count).squareRoot()))
        }
    }

    /// A scale that is safe to divide by: 1 for a constant column (or an overflowed range).
    private static func usable(_ scale: Double) -> Double {
        scale.isFinite && scale > 0 ? scale : 1
    }

    /// Normalised copy of every column, as Float because that is what the networks use.
    /// Columns are matched by position; call `validate(against:source:)` first when the
    /// stats come from a stored model. A column without stats passes through unchanged
    /// rather than trapping.
    package func normalize(_ table: TimeSeriesTable) -> [[Float]] {
        table.columns.enumerated().map { index, column in
            let (offset, scale) = parameters(index)
            return column.map { Float(($0 - offset) / scale) }
        }
    }

    /// Maps one normalised value of column `column` back to the original units.
    public func denormalize(_ value: Float, column: Int) -> Double {
        let (offset, scale) = parameters(column)
        return Double(value) * scale + offset
    }

    /// Checks stats loaded from a model file (untrusted) before use: consistent lengths,
    /// finite values, non-zero scales, and the same columns as the data they will scale.
    public func validate(against columnNames: [String]? = nil, source: String) throws {
        guard offset.count == self.columnNames.count, scale.count == self.columnNames.count else {
            throw DataError(
                file: source,
                message:
                    "normalisation stats are inconsistent: \(self.columnNames.count) columns, \(offset.count) offsets, \(scale.count) scales"
            )
        }
        for (index, name) in self.columnNames.enumerated() {
            guard offset[index].isFinite, scale[index].isFinite, scale[index] != 0 else {
                throw DataError(
                    file: source, field: name,
                    message: "normalisation stats are not usable: offset \(offset[index]), scale \(scale[index])")
            }
        }
        if let columnNames, columnNames != self.columnNames {
            throw DataError(
                file: source,
                message:
                    "the model was trained on columns [\(self.columnNames.joined(separator: ", "))] but the data has [\(columnNames.joined(separator: ", "))]; select the same columns"
            )
        }
    }

    private func parameters(_ column: Int) -> (Double, Double) {
        guard column >= 0, column < offset.count, column < scale.count, scale[column] != 0 else { return (0, 1) }
        return (offset[column], scale[column])
    }
}
