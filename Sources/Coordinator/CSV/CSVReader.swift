/// Reads numeric time series from CSV files.
///
/// The file is streamed line by line through a bounded buffer and every selected field is
/// validated, so a bad cell is reported with its file, line and column instead of turning
/// into a NaN deep inside training.
package enum CSVReader {
    package static func read(path: String, options: CSVOptions) throws -> TimeSeriesTable {
        try readPart(path: path, options: options, rows: nil).table
    }

    /// What `readPart` read: the rows asked for and, when the file was read to its end, how
    /// many data rows it holds.
    package struct Part {
        package var table: TimeSeriesTable
        /// nil when reading stopped at the end of the rows asked for (the file may hold more).
        package var totalRows: Int?
    }

    /// Data rows (numbered from 0, the header not counted) before `rows` are counted but not
    /// parsed, and reading stops at its end: a shard of a long file parses only its own rows.
    package static func readPart(path: String, options: CSVOptions, rows wanted: Range<Int>?) throws -> Part {
        let reader = try CSVLineReader(path: path, maxLineBytes: options.maxLineBytes)
        var lines = CSVNonEmptyLines(reader: reader)
        let maxFields = max(1, options.maxColumns)

        guard let first = try lines.next() else {
            throw DataError(file: path, message: "the file is empty: expected a header and rows of numbers")
        }
        let firstLine = reader.lineNumber
        let firstBytes = Array(first)
        let firstRow = try splitToText(first, line: firstLine, path: path, maxFields: maxFields, names: nil)

        let second = try lines.next()
        let secondLine = second == nil ? nil : reader.lineNumber
        let secondBytes = second.map { Array($0) }
        // Whether line 1 is a header is not known yet; if line 2 cannot be split, name its
        // fields after line 1 where that looks like a name, which it usually is.
        let likelyNames =
            options.header == .absent
            ? nil
            : firstRow.enumerated().map { index, text in
                CSVLayout.kind(of: text) == .text ? text : "col\(index + 1)"
            }
        let secondRow = try second.map {
            try splitToText($0, line: reader.lineNumber, path: path, maxFields: maxFields, names: likelyNames)
        }

        let layout = try CSVLayout.resolve(
            firstRow: firstRow, firstLine: firstLine, secondRow: secondRow,
            secondLine: secondLine, options: options, path: path)
        let rowGuess = reader.fileSize / max(1, firstBytes.count + 1) + 2
        var builder = CSVTableBuilder(
            layout: layout, path: path, maxRows: max(0, options.maxRows),
            maxFields: maxFields, expectedRows: rowGuess, keepDates: options.keepDates)
        var index = 0  // data rows seen
        /// Adds the next data row when it is wanted; false once the rows wanted are all read.
        func take(_ line: UnsafeRawBufferPointer, _ number: Int) throws -> Bool {
            if let wanted, index >= wanted.upperBound { return false }
            if wanted?.contains(index) ?? true { try builder.add(line, line: number) }
            index += 1
            return true
        }
        var more = true
        if !layout.hasHeader {
            more = try firstBytes.withUnsafeBytes { try take($0, firstLine) }
        }
        if more, let secondBytes, let secondLine {
            more = try secondBytes.withUnsafeBytes { try take($0, secondLine) }
        }
        while more, let line = try lines.next() {
            more = try take(line, reader.lineNumber)
        }
        return Part(table: builder.table(), totalRows: more ? index : nil)
    }

    /// The number of data rows, without parsing any (for `--shard I/N`, which splits them evenly).
    package static func countRows(path: String, options: CSVOptions) throws -> Int {
        try readPart(path: path, options: options, rows: Int.max..<Int.max).totalRows ?? 0
    }

    /// Refuses a table too short to hold a single window, with a message that says both
    /// numbers, before anything tries to build windows from it.
    package static func ensureRows(_ table: TimeSeriesTable, atLeast windowSize: Int, file: String) throws {
        guard windowSize >= 1 else {
            throw DataError(file: file, message: "window size must be at least 1, got \(windowSize)")
        }
        guard table.rowCount >= windowSize else {
            throw DataError(
                file: file,
                message: "fewer rows (\(table.rowCount)) than the window size (\(windowSize)); use a smaller window or more data")
        }
    }

    /// Splits one of the first two lines into field texts, for the layout decision.
    private static func splitToText(
        _ line: UnsafeRawBufferPointer, line number: Int, path: String,
        maxFields: Int, names: [String]?
    ) throws -> [String] {
        var fields: [CSVField] = []
        do {
            try CSVFieldSplitter.split(line, into: &fields, maxFields: maxFields)
        } catch {
            throw CSVTableBuilder.describe(error, line: number, path: path, names: names)
        }
        return fields.map { CSVFieldSplitter.text(of: $0, in: line) }
    }
}
