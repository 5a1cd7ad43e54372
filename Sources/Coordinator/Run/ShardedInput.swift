/// Where a shard's rows sit in what it read.
///
/// A plugin's arithmetic on a window may depend on the batch it travels in (BLAS kernels
/// differ for a batch's tail rows), so a shard sends exactly the batches the whole run sends:
/// batch boundaries fall at the same window numbers of the input, and a shard reads enough
/// rows to complete the batches its windows are in. Windows are numbered by their first row.
struct ShardRows: Sendable, Equatable {
    /// The input rows the shard writes (data rows from 0, END excluded).
    var rows: Range<Int>
    /// The input rows read: the shard's rows, the windows' context and the rest of their batches.
    var read: Range<Int>
    /// The input's data rows (after `max_steps`), when known (counted, or the read reached the end).
    var totalRows: Int?
    /// The windows whose features the shard writes, numbered within what was read: those whose last row is in `rows`.
    var featureWindows: Range<Int>
    /// The windows decoded for the reconstruction (whole batches), numbered within what was read.
    var reconstructionWindows: Range<Int>
    /// The reconstructed rows the shard writes, within what was read.
    var reconstructionRows: Range<Int>
    /// The input's number of the first window read: batches are cut where it and a local number add up to a multiple.
    var origin: Int { read.lowerBound }
    /// Only the shard starting the file writes the header.
    var writesHeader: Bool { rows.lowerBound == 0 }
}

extension PreparedData {
    /// Reads a shard of the input (`--rows`, `--shard`) for a loaded model: its rows, their context
    /// and the rest of their batches, nothing else parsed. The model's normalisation is used, so
    /// no statistic depends on the shard.
    static func loadShard(
        _ config: RunConfiguration, selection: RowSelection, windowSize w: Int, modelStats: NormalizationStats, batch: Int
    ) throws -> PreparedData {
        let (path, options) = try inputSource(config)
        let cap = config.maxSteps ?? Int.max
        // The header alone: the number of columns sets the features' block size.
        let columns = try CSVReader.readPart(path: path, options: options, rows: 0..<0).table.columnNames.count
        let plan = ShardPlan(
            windowSize: w, featureBlock: ResultWriters.rowsPerBlock(batch: batch, columns: columns), batch: batch)
        var total = selection.needsRowCount ? min(try CSVReader.countRows(path: path, options: options), cap) : nil
        if let total { try ensureWindow(total, w, path) }
        var rows = try selection.range(totalRows: total, file: path)
        var read = plan.rowsToRead(rows, totalRows: total, cap: cap)
        var part = try CSVReader.readPart(path: path, options: options, rows: read)
        if total == nil {
            // Reading stopped at its end only if the file holds that many rows: at or past max_steps, that is all of them.
            total = part.totalRows.map { min($0, cap) } ?? (read.upperBound >= cap ? cap : nil)
            if let total {
                try ensureWindow(total, w, path)
                rows = try selection.range(totalRows: total, file: path)
            }
        }
        if part.table.rowCount < w, let total {
            // An empty range at the very end: the last window's rows, so that every structure has a window.
            read = (total - w)..<total
            part = try CSVReader.readPart(path: path, options: options, rows: read)
        }
        let input = part.table
        try CSVReader.ensureRows(input, atLeast: w, file: path)
        try modelStats.validate(against: input.columnNames, source: path)
        let shard = plan.place(rows, read: read.lowerBound..<(read.lowerBound + input.rowCount), totalRows: total)
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
}

/// The arithmetic of a shard's windows and batches, in the input's numbering.
struct ShardPlan {
    var windowSize: Int
    /// Windows per features request (`ResultWriters.rowsPerBlock`) and per reconstruction batch.
    var featureBlock: Int
    var batch: Int

    /// Windows whose features belong to `rows`: those whose last row is in it.
    func featureWindows(_ rows: Range<Int>) -> Range<Int> {
        let first = max(0, rows.lowerBound - (windowSize - 1))
        return first..<max(first, rows.upperBound - (windowSize - 1))
    }

    /// Windows covering a row of `rows` (starts below its end; the input's end bounds them too).
    func coveringWindows(_ rows: Range<Int>) -> Range<Int> {
        rows.isEmpty ? rows.lowerBound..<rows.lowerBound : max(0, rows.lowerBound - (windowSize - 1))..<rows.upperBound
    }

    /// The windows to compute: every batch holding a window the shard needs, whole.
    func computedWindows(_ rows: Range<Int>) -> Range<Int> {
        let f = featureWindows(rows), r = coveringWindows(rows)
        if f.isEmpty && r.isEmpty { return rows.lowerBound..<rows.lowerBound }
        let lower = min(Self.down(f.lowerBound, featureBlock), Self.down(r.lowerBound, batch))
        return lower..<max(Self.up(f.upperBound, featureBlock), Self.up(r.upperBound, batch))
    }

    /// The rows those windows span, within the input (`cap`: max_steps).
    func rowsToRead(_ rows: Range<Int>, totalRows: Int?, cap: Int) -> Range<Int> {
        let windows = computedWindows(rows)
        let lower = windows.lowerBound
        let end = min(Self.adding(windows.upperBound, windowSize - 1), totalRows ?? Int.max, cap)
        // At least one window's rows, so that a shard with nothing to write still has a window.
        return lower..<max(lower, min(max(end, Self.adding(lower, windowSize)), totalRows ?? Int.max, cap))
    }

    /// Where `rows` and its windows fall in the rows read.
    func place(_ rows: Range<Int>, read: Range<Int>, totalRows: Int?) -> ShardRows {
        let origin = read.lowerBound, available = max(0, read.count - windowSize + 1)
        func local(_ r: Range<Int>) -> Range<Int> {
            let lower = min(max(r.lowerBound - origin, 0), available)
            return lower..<min(max(r.upperBound - origin, lower), available)
        }
        let covering = coveringWindows(rows)
        let decoded =
            covering.isEmpty
            ? covering : Self.down(covering.lowerBound, batch)..<Self.up(covering.upperBound, batch)
        return ShardRows(
            rows: rows, read: read, totalRows: totalRows, featureWindows: local(featureWindows(rows)),
            reconstructionWindows: local(decoded),
            reconstructionRows: (rows.lowerBound - origin)..<(rows.upperBound - origin))
    }

    static func down(_ n: Int, _ unit: Int) -> Int { n / unit * unit }
    static func up(_ n: Int, _ unit: Int) -> Int { adding(down(n, unit), n % unit == 0 ? 0 : unit) }

    /// `a + b`, at most Int.max: END may be any whole number the user typed.
    static func adding(_ a: Int, _ b: Int) -> Int {
        let (sum, overflow) = a.addingReportingOverflow(b)
        return overflow ? Int.max : sum
    }
}
