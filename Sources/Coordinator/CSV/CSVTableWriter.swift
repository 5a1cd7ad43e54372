import FeatureExtractorSupport

/// How many digits numbers are written with.
package enum CSVNumberPrecision: Sendable {
    /// Shortest text that reads back to the same Float: network outputs are Float, so more
    /// digits would only be noise (and make files twice as large).
    case float32
    /// Shortest text that reads back to the same Double.
    case float64
}

/// Writes result tables (features, reconstructions, evaluations) as CSV: a header row, an
/// optional leading date column, then one row per record, atomically.
package enum CSVTableWriter {
    /// - Parameters:
    ///   - header: names of the `columnCount` numeric columns (the date column's name is
    ///     `dateHeader`).
    ///   - dates: the rows' values for a leading date column, from `firstDate` on, or nil for none.
    ///   - writesHeader: false for a shard that does not start the file: shards concatenated in
    ///     order then give the single run's bytes.
    ///   - row: fills the values of row `i` into the buffer (`columnCount` values, NaN
    ///     until set). Rows are produced one at a time so that a 30,000 x 32 table never
    ///     exists as one giant string.
    package static func write(
        path: String, header: [String], dates: TextColumn?, firstDate: Int = 0, rowCount: Int,
        columnCount: Int, dateHeader: String = "DATE_TIME",
        precision: CSVNumberPrecision = .float32, writesHeader: Bool = true,
        row: (Int, inout [Double]) throws -> Void
    ) throws {
        guard header.count == columnCount else {
            throw DataError(file: path, message: "internal: \(header.count) column names for \(columnCount) columns")
        }
        if let dates, firstDate < 0 || dates.count - firstDate < rowCount {
            throw DataError(file: path, message: "internal: \(dates.count - firstDate) dates for \(rowCount) rows")
        }
        let writer = try AtomicFileWriter(path: path)
        var line: [UInt8] = []
        line.reserveCapacity(64 << 10)

        if writesHeader {
            let names = (dates == nil ? [] : [dateHeader]) + header
            for (index, name) in names.enumerated() {
                if index > 0 { line.append(UInt8(ascii: ",")) }
                appendText(name, to: &line)
            }
            line.append(UInt8(ascii: "\n"))
        }

        var values = [Double](repeating: .nan, count: columnCount)
        for index in 0..<max(0, rowCount) {
            for column in 0..<columnCount { values[column] = .nan }
            try row(index, &values)
            guard values.count == columnCount else {
                throw DataError(
                    file: path, line: index + 2,
                    message: "internal: row has \(values.count) values, expected \(columnCount)")
            }
            if let dates {
                appendText(dates.utf8(firstDate + index), to: &line)
                if columnCount > 0 { line.append(UInt8(ascii: ",")) }
            }
            for column in 0..<columnCount {
                if column > 0 { line.append(UInt8(ascii: ",")) }
                appendNumber(values[column], precision: precision, to: &line)
            }
            line.append(UInt8(ascii: "\n"))
            if line.count >= 60 << 10 {
                try line.withUnsafeBytes { try writer.write($0) }
                line.removeAll(keepingCapacity: true)
            }
        }
        try line.withUnsafeBytes { try writer.write($0) }
        try writer.commit()
    }

    @inline(__always)
    static func appendNumber(_ value: Double, precision: CSVNumberPrecision, to line: inout [UInt8]) {
        // `description` is Swift's shortest round-trip formatting, locale-independent and
        // much faster than `String(format:)`.
        var text = precision == .float32 ? Float(value).description : value.description
        text.withUTF8 { line.append(contentsOf: $0) }
    }

    /// RFC 4180: quote a value that contains a separator, quote, line break or edge blank.
    static func appendText(_ text: String, to line: inout [UInt8]) {
        appendText(text.utf8, to: &line)
    }

    static func appendText(_ utf8: some BidirectionalCollection<UInt8>, to line: inout [UInt8]) {
        let needsQuotes =
            utf8.contains { $0 == 0x2C || $0 == 0x22 || $0 == 0x0A || $0 == 0x0D }
            || utf8.first == 0x20 || utf8.last == 0x20 || utf8.first == 0x09 || utf8.last == 0x09
        guard needsQuotes else {
            line.append(contentsOf: utf8)
            return
        }
        line.append(0x22)
        for byte in utf8 {
            if byte == 0x22 { line.append(0x22) }
            line.append(byte)
        }
        line.append(0x22)
    }
}
