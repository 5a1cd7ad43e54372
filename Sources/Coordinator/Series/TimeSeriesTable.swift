/// The numeric columns read from a CSV file, column-major because everything downstream
/// (normalisation, windows) works one column at a time.
package struct TimeSeriesTable: Sendable, Equatable {
    /// Names of the selected numeric columns; "col5" for column 5 of a headerless file.
    package var columnNames: [String]
    /// `columns[c][row]`; every column has `rowCount` values, all finite.
    package var columns: [[Double]]
    /// The date column's values, kept aside verbatim so outputs can be lined up with the
    /// input; nil when the file has no date column.
    package var dates: TextColumn?
    package var rowCount: Int
    /// Header of the date column ("DATE_TIME"), so that output files can repeat it; nil
    /// when there is no date column. (Addition to the agreed API.)
    package var dateColumnName: String?

    package init(
        columnNames: [String], columns: [[Double]], dates: TextColumn? = nil, rowCount: Int,
        dateColumnName: String? = nil
    ) {
        self.columnNames = columnNames
        self.columns = columns
        self.dates = dates
        self.rowCount = rowCount
        self.dateColumnName = dateColumnName
    }
}
