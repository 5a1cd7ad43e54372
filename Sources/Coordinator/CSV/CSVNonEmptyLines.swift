/// Lines with content, in order. Empty lines are allowed only at the end of the file: one
/// in the middle usually means a damaged or concatenated file, so it is reported at its
/// own line rather than skipped.
struct CSVNonEmptyLines {
    let reader: CSVLineReader
    private var firstEmptyLine: Int?

    init(reader: CSVLineReader) { self.reader = reader }

    mutating func next() throws -> UnsafeRawBufferPointer? {
        while let line = try reader.next() {
            if CSVFieldSplitter.isBlankLine(line) {
                if firstEmptyLine == nil { firstEmptyLine = reader.lineNumber }
                continue
            }
            if let empty = firstEmptyLine {
                throw DataError(
                    file: reader.path, line: empty,
                    message:
                        "empty line before more data (line \(reader.lineNumber)); empty lines are allowed only at the end of the file"
                )
            }
            return line
        }
        return nil
    }
}
