import FeatureExtractorSupport
import PluginHost
import PluginProtocol

/// Computes features and reconstructions through the plugins and writes them as CSV.
struct ResultWriters {
    let model: Autoencoder
    let batch: Int

    /// Windows per reconstruction batch; a features block holds this many windows of all columns together.
    static let evaluationBatch = 4096

    /// Windows per column in one features request: every column's windows of a block travel together.
    static func rowsPerBlock(batch: Int, columns: Int) -> Int { max(1, batch / max(1, columns)) }

    /// The features of every window: one row per window position, each column's
    /// `interfaceSize` features side by side; the window's end date first when asked.
    /// Streamed: each block of rows is encoded (every column's windows in one request) just
    /// before it is written, so memory does not grow with the input. With `processes` above one,
    /// copies of the encoder compute blocks side by side (`ForwardPipeline`), same bytes out.
    /// - Returns: the seconds from the first request to the last row written: encoding, which
    ///   overlaps the writing, and whatever writing it does not hide (copies' start-up included).
    /// - Parameters:
    ///   - positions: the window starts to write (a shard's); every window when nil.
    ///   - origin: the input's number of window 0 here (a shard's): blocks are cut at the same
    ///     windows as in the whole run, so each window is encoded in the same request.
    ///   - writesHeader: false for a shard that does not start the file.
    @discardableResult
    func writeFeatures(
        _ windows: WindowCatalog, table: TimeSeriesTable, forceDate: Bool, processes: Int = 1, to path: String,
        windows positions: Range<Int>? = nil, origin: Int = 0, writesHeader: Bool = true
    ) throws -> Double {
        let k = model.interfaceSize
        let columns = table.columnNames
        let header =
            columns.count == 1
            ? (1...k).map { "feature_\($0)" }
            : columns.flatMap { c in (1...k).map { "\(c)_feature_\($0)" } }
        let per = windows.perColumn
        let positions = positions ?? 0..<per
        let first = positions.lowerBound, end = positions.upperBound
        // A window's row carries the date of its last value.
        let dates = forceDate ? table.dates : nil
        let rowsPerBlock = Self.rowsPerBlock(batch: batch, columns: columns.count)
        let stopwatch = Stopwatch()
        try model.settle()
        let copies = first < end ? try model.encoderReplicas(processes - 1) : []
        defer { copies.forEach { $0.shutdown() } }
        var buffer: [Float] = []
        var submitted: [(start: Int, rows: Int)] = []
        // The block holding the first window starts at a multiple of the block size, as in the whole
        // run (nothing is sent for an empty range).
        var nextRow = first < end ? first - (origin + first) % rowsPerBlock : end
        // Blocks (every column's windows of a block of rows in one request), made as the plugins
        // can take them: they encode ahead while the coordinator writes.
        let pipeline = ForwardPipeline(lanes: [model.encoder] + copies, outputWidth: k) {
            guard nextRow < end else { return nil }
            let rows = min(rowsPerBlock - (origin + nextRow) % rowsPerBlock, per - nextRow)
            defer {
                submitted.append((nextRow, rows))
                nextRow += rows
            }
            if columns.count == 1 { return windows.columns[0].rows(nextRow..<(nextRow + rows)) }
            let indices = (0..<columns.count).flatMap { c in (c * per + nextRow)..<(c * per + nextRow + rows) }
            windows.fill(indices[...], into: &buffer)
            return StridedRows(Tensor(rows: indices.count, cols: windows.windowSize, values: buffer))
        }
        var block: [Float] = [], blockStart = first, blockRows = 0
        try CSVTableWriter.write(
            path: path, header: header, dates: dates, firstDate: windows.windowSize - 1 + first, rowCount: positions.count,
            columnCount: header.count, dateHeader: table.dateColumnName ?? "DATE_TIME", writesHeader: writesHeader
        ) { index, values in
            let row = first + index
            if row >= blockStart + blockRows, let output = try pipeline.next() {
                block = output.values
                (blockStart, blockRows) = submitted.removeFirst()
            }
            let r = row - blockStart
            for c in 0..<columns.count {
                let base = (c * blockRows + r) * k
                for j in 0..<k { values[c * k + j] = Double(block[base + j]) }
            }
        }
        return stopwatch.seconds
    }

    /// Reconstructs `table`'s windows, folds them back into series, writes them
    /// (when `path` is given) and returns per-column errors.
    /// - Parameter pcaBaseline: each column's window MSE of PCA of the same size, reported beside the model's.
    /// - Parameters:
    ///   - decoded: the windows to decode (a shard's, whole batches); every window when nil. The metrics cover them.
    ///   - origin: the input's number of window 0 here: batches are cut at the same windows as in the whole run.
    ///   - rows: the rows to write (a shard's); every row when nil.
    func reconstruct(
        _ windows: WindowCatalog, table: TimeSeriesTable, stats: NormalizationStats, pcaBaseline: [Double]?,
        forceDate: Bool, to path: String?, decoded: Range<Int>? = nil, origin: Int = 0, rows: Range<Int>? = nil,
        writesHeader: Bool = true
    ) throws -> [ColumnMetrics] {
        let per = windows.perColumn, w = windows.windowSize
        let decoded = decoded ?? 0..<per
        var folders = table.columnNames.map { _ in OverlapFolder(seriesLength: table.rowCount, windowSize: w) }
        var windowSSE = [Double](repeating: 0, count: table.columnNames.count)
        var baselineSSE = windowSSE
        try forEachBatch(windows, decoded, origin: origin) { indices, input in
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
        let rows = rows ?? 0..<table.rowCount
        if let path {
            let dates = forceDate ? table.dates : nil
            try CSVTableWriter.write(
                path: path, header: table.columnNames, dates: dates, firstDate: rows.lowerBound, rowCount: rows.count,
                columnCount: table.columnNames.count, dateHeader: table.dateColumnName ?? "DATE_TIME", writesHeader: writesHeader
            ) { index, values in
                for c in 0..<series.count { values[c] = series[c][rows.lowerBound + index] }
            }
        }
        // A shard's figures cover its own rows; one with none has none (no data is not a score).
        guard !rows.isEmpty, !decoded.isEmpty else { return [] }
        let n = Double(decoded.count * w)
        return table.columnNames.enumerated().map { c, name in
            let rebuilt = Array(series[c][rows]), original = Array(table.columns[c][rows])
            return ColumnMetrics(
                column: name, windowMSE: windowSSE[c] / n, baselineWindowMeanMSE: baselineSSE[c] / n,
                baselinePCAMSE: pcaBaseline?[c], mse: ErrorMetrics.mse(rebuilt, original),
                mae: ErrorMetrics.mae(rebuilt, original))
        }
    }

    /// Each column's windows `range` in batches cut where `origin` plus the window's number is a
    /// multiple of `batch`: a shard's batches are the whole run's, window for window.
    private func forEachBatch(
        _ windows: WindowCatalog, _ range: Range<Int>, origin: Int, _ body: (ArraySlice<Int>, Tensor) throws -> Void
    ) throws {
        var buffer: [Float] = []
        let per = windows.perColumn
        for c in 0..<windows.columns.count {
            var start = range.lowerBound
            while start < range.upperBound {
                let end = min(start + batch - (origin + start) % batch, range.upperBound)
                let indices = Array((c * per + start)..<(c * per + end))[...]
                windows.fill(indices, into: &buffer)
                try body(indices, Tensor(rows: end - start, cols: windows.windowSize, values: buffer))
                start = end
            }
        }
    }
}
