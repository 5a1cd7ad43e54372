import FeatureExtractorSupport
import PluginProtocol

/// Computes features and reconstructions through the plugins and writes them as CSV.
struct ResultWriters {
    let model: Autoencoder
    let batch: Int

    /// The features of every window: one row per window position, each column's
    /// `interfaceSize` features side by side; the window's end date first when asked.
    /// - Returns: the seconds spent encoding (the plugin round trips, not the CSV).
    @discardableResult
    func writeFeatures(_ windows: WindowCatalog, table: TimeSeriesTable, forceDate: Bool, to path: String) throws -> Double {
        let stopwatch = Stopwatch()
        let features = try encodeAll(windows)
        let seconds = stopwatch.seconds
        let k = model.interfaceSize
        let columns = table.columnNames
        let header =
            columns.count == 1
            ? (1...k).map { "feature_\($0)" }
            : columns.flatMap { c in (1...k).map { "\(c)_feature_\($0)" } }
        let per = windows.perColumn
        let dates = forceDate ? table.dates.map { Array($0[(windows.windowSize - 1)...]) } : nil
        try CSVTableWriter.write(
            path: path, header: header, dates: dates, rowCount: per, columnCount: header.count,
            dateHeader: table.dateColumnName ?? "DATE_TIME"
        ) { row, values in
            for c in 0..<columns.count {
                let base = (c * per + row) * k
                for j in 0..<k { values[c * k + j] = Double(features[base + j]) }
            }
        }
        return seconds
    }

    /// Every window's features, window `i` at `[i * interfaceSize ..< (i + 1) * interfaceSize]`.
    func encodeAll(_ windows: WindowCatalog) throws -> [Float] {
        var out: [Float] = []
        out.reserveCapacity(windows.count * model.interfaceSize)
        try forEachBatch(windows) { _, input in out += try model.encode(input).values }
        return out
    }

    /// Reconstructs `table`'s windows, folds them back into series, writes them
    /// (when `path` is given) and returns per-column errors.
    /// - Parameter pcaBaseline: each column's window MSE of PCA of the same size, reported beside the model's.
    func reconstruct(
        _ windows: WindowCatalog, table: TimeSeriesTable, stats: NormalizationStats, pcaBaseline: [Double]?,
        forceDate: Bool, to path: String?
    ) throws -> [ColumnMetrics] {
        let per = windows.perColumn, w = windows.windowSize
        var folders = table.columnNames.map { _ in OverlapFolder(seriesLength: table.rowCount, windowSize: w) }
        var windowSSE = [Double](repeating: 0, count: table.columnNames.count)
        var baselineSSE = windowSSE
        try forEachBatch(windows) { indices, input in
            let output = try model.decode(try model.encode(input)).values
            output.withUnsafeBufferPointer { out in
                input.values.withUnsafeBufferPointer { inp in
                    for (row, i) in indices.enumerated() {
                        let c = i / per
                        let o = UnsafeBufferPointer(rebasing: out[(row * w)..<((row + 1) * w)])
                        let x = UnsafeBufferPointer(rebasing: inp[(row * w)..<((row + 1) * w)])
                        folders[c].add(windowStart: i % per, values: o)
                        var mean: Float = 0
                        for v in x { mean += v }
                        mean /= Float(w)
                        var sse: Float = 0, base: Float = 0
                        for j in 0..<w {
                            sse += (o[j] - x[j]) * (o[j] - x[j])
                            base += (mean - x[j]) * (mean - x[j])
                        }
                        windowSSE[c] += Double(sse)
                        baselineSSE[c] += Double(base)
                    }
                }
            }
        }
        let series = folders.enumerated().map { c, f in f.result().map { stats.denormalize(Float($0), column: c) } }
        if let path {
            let dates = forceDate ? table.dates : nil
            try CSVTableWriter.write(
                path: path, header: table.columnNames, dates: dates, rowCount: table.rowCount,
                columnCount: table.columnNames.count, dateHeader: table.dateColumnName ?? "DATE_TIME"
            ) { row, values in
                for c in 0..<series.count { values[c] = series[c][row] }
            }
        }
        let n = Double(per * w)
        return table.columnNames.enumerated().map { c, name in
            ColumnMetrics(
                column: name, windowMSE: windowSSE[c] / n, baselineWindowMeanMSE: baselineSSE[c] / n,
                baselinePCAMSE: pcaBaseline?[c], mse: ErrorMetrics.mse(series[c], table.columns[c]),
                mae: ErrorMetrics.mae(series[c], table.columns[c]))
        }
    }

    private func forEachBatch(_ windows: WindowCatalog, _ body: (ArraySlice<Int>, Tensor) throws -> Void) throws {
        let all = Array(0..<windows.count)
        var buffer: [Float] = []
        var start = 0
        while start < all.count {
            let end = min(start + batch, all.count)
            windows.fill(all[start..<end], into: &buffer)
            try body(all[start..<end], Tensor(rows: end - start, cols: windows.windowSize, values: buffer))
            start = end
        }
    }
}
