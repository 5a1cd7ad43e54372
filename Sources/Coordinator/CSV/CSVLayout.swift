import FeatureExtractorSupport
/// What the first one or two rows say about a file: whether there is a header, the name of
/// every column, which column holds dates and which columns to read. Decided once, before
/// streaming the rest, so every later row is only checked against it.
struct CSVLayout: Equatable {
    var hasHeader: Bool
    /// One name per column of the file: the header's, or "colN" (1-based) without one.
    var columnNames: [String]
    var dateIndex: Int?
    /// File column indices (0-based) to read, in the order the table will hold them.
    var selected: [Int]
    /// Line of the header, for messages about column names.
    var headerLine: Int?

    var columnCount: Int { columnNames.count }

    /// How a field looks, for the header and column-kind guesses.
    enum Kind { case number, empty, text }

    static func kind(of text: String) -> Kind {
        var copy = text
        let result = copy.withUTF8 { CSVNumberParser.parse(UnsafeRawBufferPointer($0)) }
        switch result {
        case .value, .notFinite, .outOfRange: return .number  // a number, possibly a bad one
        case .empty: return .empty
        case .notANumber: return .text
        }
    }

    /// - Parameters:
    ///   - firstRow: fields of the first non-empty line (`firstLine`).
    ///   - secondRow: fields of the next non-empty line (`secondLine`), nil if there is none.
    static func resolve(
        firstRow: [String], firstLine: Int, secondRow: [String]?, secondLine: Int?,
        options: CSVOptions, path: String
    ) throws -> CSVLayout {
        let firstKinds = firstRow.map(kind(of:))
        let secondKinds = secondRow?.map(kind(of:))
        let hasHeader: Bool
        switch options.header {
        case .present: hasHeader = true
        case .absent: hasHeader = false
        case .auto: hasHeader = looksLikeHeader(firstKinds, secondKinds)
        }
        let count = firstRow.count
        let names = (0..<count).map { index in
            hasHeader && !firstRow[index].isEmpty ? firstRow[index] : "col\(index + 1)"
        }
        var layout = CSVLayout(
            hasHeader: hasHeader, columnNames: names, dateIndex: nil, selected: [],
            headerLine: hasHeader ? firstLine : nil)
        let dataKinds: [Kind]
        if hasHeader {
            guard let secondKinds else {
                throw DataError(
                    file: path, line: firstLine,
                    message: "the file has a header but no data rows")
            }
            dataKinds = secondKinds
        } else {
            dataKinds = firstKinds
        }
        func dataKind(_ column: Int) -> Kind { column < dataKinds.count ? dataKinds[column] : .empty }

        switch options.dateColumn {
        case .none:
            layout.dateIndex = nil
        case .auto:
            layout.dateIndex = dataKind(0) == .text ? 0 : nil
        case .column(let spec):
            layout.dateIndex = try layout.column(spec, path: path, role: "date column")
        }

        if let requested = options.columns {
            guard !requested.isEmpty else {
                throw DataError(
                    file: path, message: "no columns selected; give at least one column or none to read every numeric column")
            }
            var seen = Set<Int>()
            for spec in requested {
                let index = try layout.column(spec, path: path, role: "column")
                if index == layout.dateIndex {
                    throw DataError(
                        file: path, line: layout.headerLine, field: names[index],
                        message: "is the date column and holds no numbers; select data columns only")
                }
                guard seen.insert(index).inserted else {
                    throw DataError(
                        file: path, line: layout.headerLine, field: names[index],
                        message: "selected twice (as '\(spec)')")
                }
                layout.selected.append(index)
            }
        } else {
            layout.selected = (0..<count).filter { $0 != layout.dateIndex && dataKind($0) != .text }
            guard !layout.selected.isEmpty else {
                throw DataError(
                    file: path, line: hasHeader ? secondLine : firstLine,
                    message:
                        "no numeric column: the first data row has no number outside the date column (columns: \(layout.availableList))"
                )
            }
        }
        return layout
    }

    /// auto header rule: some column holds text above a number (a name above its data), or
    /// the first row holds no number at all and no empty field.
    static func looksLikeHeader(_ first: [Kind], _ second: [Kind]?) -> Bool {
        if let second {
            for (index, kind) in first.enumerated() where kind == .text {
                if index < second.count, second[index] == .number { return true }
            }
        }
        return first.allSatisfy { $0 == .text }
    }

    /// Resolves a column given by header name or 1-based number. A name wins over a number
    /// so that a header that happens to contain "2" stays selectable by that name.
    func column(_ spec: String, path: String, role: String) throws -> Int {
        let matches = columnNames.indices.filter { columnNames[$0] == spec }
        if matches.count == 1 { return matches[0] }
        if matches.count > 1 {
            throw DataError(
                file: path, line: headerLine,
                message:
                    "\(role) '\(spec)' is ambiguous: columns \(matches.map { String($0 + 1) }.joined(separator: ", ")) have that name; select it by number"
            )
        }
        if let number = Int(spec), number >= 1, number <= columnCount {
            return number - 1
        }
        throw DataError(
            file: path, line: headerLine,
            message: "unknown \(role) \(DisplayText.quoted(spec)); available: \(availableList)")
    }

    /// "DATE_TIME, OPEN, ... (or numbers 1-5)", shortened for very wide files.
    var availableList: String {
        let shown = columnNames.prefix(30).joined(separator: ", ")
        let more = columnCount > 30 ? ", ... (\(columnCount - 30) more)" : ""
        return "\(shown)\(more) (or numbers 1-\(columnCount))"
    }
}
