/// Where a shard's rows sit in what it read: the rows it writes, with the `window - 1` rows
/// of context on each side that the windows crossing its edges need.
struct ShardRows: Sendable, Equatable {
    /// The input rows the shard writes (data rows from 0, END excluded).
    var rows: Range<Int>
    /// The input rows read: `rows` with their context.
    var read: Range<Int>
    /// The input's data rows (after `max_steps`), when the read reached its end.
    var totalRows: Int?
    /// The windows whose features the shard writes, by start within what was read: those whose last row is in `rows`.
    var featureWindows: Range<Int>
    /// The reconstructed rows the shard writes, within what was read.
    var reconstructionRows: Range<Int>
    /// Only the shard starting the file writes the header.
    var writesHeader: Bool { rows.lowerBound == 0 }
}

extension PreparedData {
    /// Reads a shard of the input (`--rows`, `--shard`) for a loaded model: its rows and their context,
    /// nothing else parsed. The model's normalisation is used, so no statistic depends on the shard.
    static func loadShard(
        _ config: RunConfiguration, selection: RowSelection, windowSize w: Int, modelStats: NormalizationStats
    ) throws -> PreparedData {
        guard let path = config.inputFile else {
            throw ConfigurationError.invalid(key: "input_file", reason: "no input file given")
        }
        var options = CSVOptions()
        options.header = config.headers.map { $0 ? .present : .absent } ?? .auto
        options.columns = config.columns
        options.keepDates = config.forceDate
        let cap = config.maxSteps ?? Int.max
        var total = selection.needsRowCount ? min(try CSVReader.countRows(path: path, options: options), cap) : nil
        if let total { try ensureWindow(total, w, path) }
        var rows = try selection.range(totalRows: total, file: path)
        // The windows crossing the edges need w - 1 rows on each side, and a window at least w rows.
        var lower = max(0, rows.lowerBound - (w - 1))
        var upper = max(lower, min(max(Self.adding(rows.upperBound, w - 1), Self.adding(lower, w)), cap))
        var part = try CSVReader.readPart(path: path, options: options, rows: lower..<upper)
        if total == nil {
            // Reading stopped at `upper` only if the file holds that many rows: at or past max_steps, that is all of them.
            total = part.totalRows.map { min($0, cap) } ?? (upper >= cap ? cap : nil)
            if let total {
                try ensureWindow(total, w, path)
                rows = try selection.range(totalRows: total, file: path)
            }
        }
        if let total, rows.lowerBound > total {
            throw ConfigurationError.invalid(
                key: "rows", reason: "\(selection) starts past the end of \(path), which has \(total) data rows")
        }
        if part.table.rowCount < w, let total {
            // An empty range at the very end: the last window's rows, so that every structure has a window.
            (lower, upper) = (total - w, total)
            part = try CSVReader.readPart(path: path, options: options, rows: lower..<upper)
        }
        let input = part.table
        try CSVReader.ensureRows(input, atLeast: w, file: path)
        try modelStats.validate(against: input.columnNames, source: path)
        // A window's start s (input row numbers) covers rows s ..< s + w; it belongs where its last row is.
        let firstWindow = max(0, rows.lowerBound - (w - 1)), endWindow = max(firstWindow, rows.upperBound - (w - 1))
        let shard = ShardRows(
            rows: rows, read: lower..<(lower + input.rowCount), totalRows: total,
            featureWindows: (firstWindow - lower)..<(endWindow - lower),
            reconstructionRows: (rows.lowerBound - lower)..<(rows.upperBound - lower))
        let windows = WindowCatalog(series: modelStats.normalize(input), windowSize: w)
        return PreparedData(
            input: input, stats: modelStats, inputWindows: windows, training: nil, validation: nil,
            evaluation: input, evaluationWindows: windows, shard: shard)
    }

    private static func ensureWindow(_ rows: Int, _ w: Int, _ path: String) throws {
        guard rows >= w else {
            throw DataError(
                file: path, message: "fewer rows (\(rows)) than the window size (\(w)); use a smaller window or more data")
        }
    }

    /// `a + b`, at most Int.max: END may be any whole number the user typed.
    private static func adding(_ a: Int, _ b: Int) -> Int {
        let (sum, overflow) = a.addingReportingOverflow(b)
        return overflow ? Int.max : sum
    }
}
