import FeatureExtractorSupport
/// Turns data lines into columns according to a `CSVLayout`, checking every row's field
/// count and every selected value.
struct CSVTableBuilder {
    let layout: CSVLayout
    let path: String
    let maxRows: Int
    let maxFields: Int
    let keepDates: Bool
    private var columns: [[Double]]
    private var dates: TextColumn
    private var rowCount = 0
    private var fields: [CSVField] = []

    init(layout: CSVLayout, path: String, maxRows: Int, maxFields: Int, expectedRows: Int, keepDates: Bool = true) {
        self.layout = layout
        self.keepDates = keepDates
        self.path = path
        self.maxRows = maxRows
        self.maxFields = maxFields
        // Reserve from the file size to avoid regrowing, but never trust it far: a sparse
        // or lying file must not make us allocate huge arrays up front.
        let reserve = min(expectedRows, maxRows, 1 << 20)
        columns = layout.selected.map { _ in
            var column: [Double] = []
            column.reserveCapacity(reserve)
            return column
        }
        dates = TextColumn()
        if layout.dateIndex != nil && keepDates { dates.reserveCapacity(reserve, bytesEach: 19) }
        fields.reserveCapacity(layout.columnCount)
    }

    mutating func add(_ line: UnsafeRawBufferPointer, line number: Int) throws {
        do {
            try CSVFieldSplitter.split(line, into: &fields, maxFields: maxFields)
        } catch {
            throw Self.describe(error, line: number, path: path, names: layout.columnNames)
        }
        guard fields.count == layout.columnCount else {
            let reference = layout.hasHeader ? "as in the header" : "as in the first row"
            throw DataError(
                file: path, line: number,
                message: "expected \(layout.columnCount) fields (\(reference)), got \(fields.count)")
        }
        guard rowCount < maxRows else {
            throw DataError(
                file: path, line: number,
                message: "more than \(maxRows) data rows (maxRows); split the file or raise the limit")
        }
        for (slot, column) in layout.selected.enumerated() {
            let field = fields[column]
            let bytes = UnsafeRawBufferPointer(rebasing: line[field.start..<field.end])
            switch CSVNumberParser.parse(bytes) {
            case .value(let value):
                columns[slot].append(value)
            case let failure:
                throw numberError(failure, field: field, column: column, line: line, number: number)
            }
        }
        if let dateIndex = layout.dateIndex, keepDates {
            let field = fields[dateIndex]
            if field.hasEscapedQuotes {
                dates.append(CSVFieldSplitter.text(of: field, in: line))
            } else {
                dates.append(UnsafeRawBufferPointer(rebasing: line[field.start..<field.end]))
            }
        }
        rowCount += 1
    }

    func table() -> TimeSeriesTable {
        TimeSeriesTable(
            columnNames: layout.selected.map { layout.columnNames[$0] },
            columns: columns,
            dates: layout.dateIndex == nil || !keepDates ? nil : dates,
            rowCount: rowCount,
            dateColumnName: layout.dateIndex.map { layout.columnNames[$0] })
    }

    private func numberError(
        _ result: CSVNumberParser.Result, field: CSVField, column: Int,
        line: UnsafeRawBufferPointer, number: Int
    ) -> DataError {
        let text = DisplayText.quoted(CSVFieldSplitter.text(of: field, in: line))
        let message: String
        switch result {
        case .empty:
            message = "empty value; every selected column needs a number in every row"
        case .notFinite:
            message = "not a finite number: \(text) (NaN and infinity are not allowed)"
        case .outOfRange:
            message = "number out of range for a 64-bit float: \(text)"
        case .notANumber, .value:
            message = "not a number: \(text)"
        }
        return DataError(file: path, line: number, field: layout.columnNames[column], message: message)
    }

    static func describe(_ failure: CSVSplitFailure, line: Int, path: String, names: [String]?) -> DataError {
        func name(_ index: Int) -> String {
            if let names, index < names.count { return names[index] }
            return "col\(index + 1)"
        }
        switch failure {
        case .unterminatedQuote(let index):
            return DataError(
                file: path, line: line, field: name(index),
                message: "quoted value has no closing quote (values may not span lines)")
        case .textAfterClosingQuote(let index):
            return DataError(
                file: path, line: line, field: name(index),
                message: "unexpected text after the closing quote; write a quote inside a quoted value as \"\"")
        case .tooManyFields(let limit):
            return DataError(
                file: path, line: line,
                message: "more than \(limit) fields (maxColumns); is the separator a comma?")
        }
    }
}
