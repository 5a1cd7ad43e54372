/// Whether the first non-blank line of a CSV file names the columns.
package enum HeaderMode: Sendable, Equatable {
    /// Decide from the data: the first row is a header when one of its columns holds a
    /// non-number above a number in the second row, or when it holds no number at all.
    /// A header made only of numbers (e.g. `1,2,3`) needs `.present`.
    case auto
    case present
    case absent
}

/// Which column, if any, holds the timestamps that are carried along but not trained on.
package enum DateColumnMode: Sendable, Equatable {
    /// The first column, when its first value is not a number (e.g. `2005-05-09 23:00:00`).
    case auto
    /// No date column: every column is data.
    case none
    /// A column chosen by header name or 1-based number ("1").
    case column(String)
}

/// How to read a CSV file. The limits exist so that a malformed or hostile file fails
/// fast with a clear message instead of exhausting memory.
package struct CSVOptions: Sendable {
    package var header: HeaderMode = .auto
    /// Columns to read, by header name or 1-based column number ("5"), in the order given.
    /// nil means every numeric column: every column except the date column whose first
    /// data value is a number (a text column such as a ticker symbol is skipped).
    package var columns: [String]? = nil
    package var dateColumn: DateColumnMode = .auto
    /// Longest accepted physical line, in bytes (without the line break).
    package var maxLineBytes = 1 << 20
    /// Most fields accepted in one row.
    package var maxColumns = 4096
    /// Most data rows accepted (the header does not count).
    package var maxRows = 50_000_000
    /// Whether the date column's values are kept (outputs with dates need them); a run that
    /// writes none reads ten million rows in a quarter of the memory without them.
    package var keepDates = true

    package init(
        header: HeaderMode = .auto, columns: [String]? = nil, dateColumn: DateColumnMode = .auto,
        maxLineBytes: Int = 1 << 20, maxColumns: Int = 4096, maxRows: Int = 50_000_000
    ) {
        self.header = header
        self.columns = columns
        self.dateColumn = dateColumn
        self.maxLineBytes = maxLineBytes
        self.maxColumns = maxColumns
        self.maxRows = maxRows
    }
}
