import Glibc

// The CSV reader exactly as a run calls it (`CSVReader.read(path:options:)`), on a file holding
// the input. The first byte picks the options a user could give (header mode, date column,
// column selection, small limits so that they are reached). A table that is read must be
// rectangular, finite, and have no more rows than the file has lines; a part of it (a shard's
// read) must be exactly its slice.
//
// Built with Sources/Coordinator/CSV and the types it returns compiled into this harness.

private let path = "\(getenv("TMPDIR").map { String(cString: $0) } ?? "/tmp")/fe-fuzz-csv-\(getpid()).csv"

private func writeFile(_ bytes: UnsafeBufferPointer<UInt8>) {
    let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
    guard fd >= 0 else { fatalError("cannot create \(path): errno \(errno)") }
    defer { close(fd) }
    var written = 0
    while written < bytes.count {
        let n = write(fd, bytes.baseAddress! + written, bytes.count - written)
        guard n > 0 else { fatalError("cannot write \(path): errno \(errno)") }
        written += n
    }
}

private func options(_ selector: UInt8) -> CSVOptions {
    var options = CSVOptions()
    options.header = [.auto, .present, .absent][Int(selector & 3) % 3]
    options.dateColumn = [.auto, .none, .column("1"), .column("date")][Int(selector >> 2 & 3)]
    options.columns = [nil, ["2"], ["b", "1"], ["3", "3"]][Int(selector >> 4 & 3)]
    options.keepDates = selector & 0x40 == 0
    if selector & 0x80 != 0 {
        options.maxLineBytes = 64
        options.maxColumns = 4
        options.maxRows = 3
    }
    return options
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard size >= 1 else { return 0 }
    let bytes = UnsafeBufferPointer(start: data + 1, count: size - 1)
    writeFile(bytes)
    defer { unlink(path) }
    let table: TimeSeriesTable
    do {
        table = try CSVReader.read(path: path, options: options(data[0]))
    } catch is DataError {
        return 0
    } catch {
        fatalError("CSVReader threw \(type(of: error)), not a DataError: \(error)")
    }
    let lines = bytes.count { $0 == 0x0A } + 1
    guard table.rowCount <= lines else { fatalError("\(table.rowCount) rows from \(lines) lines") }
    guard table.columns.count == table.columnNames.count else { fatalError("columns and names disagree") }
    for column in table.columns {
        guard column.count == table.rowCount else { fatalError("a column of \(column.count) values, not \(table.rowCount)") }
        guard column.allSatisfy(\.isFinite) else { fatalError("a non-finite value was read") }
    }
    if let dates = table.dates, dates.count != table.rowCount {
        fatalError("\(dates.count) dates for \(table.rowCount) rows")
    }
    // A shard's read (`readPart`) of a file the whole read accepts: exactly that slice of the rows,
    // and the count without parsing agrees.
    let start = size % 7, end = start + size % 5
    do {
        let part = try CSVReader.readPart(path: path, options: options(data[0]), rows: start..<end)
        let slice = min(start, table.rowCount)..<min(end, table.rowCount)
        guard part.table.columns == table.columns.map({ Array($0[slice]) }) else { fatalError("a part is not its slice") }
        guard part.table.dates.map(Array.init) == table.dates.map({ Array($0[slice]) }) else {
            fatalError("a part's dates are not its slice")
        }
        guard part.totalRows == nil || part.totalRows == table.rowCount else { fatalError("a part miscounted the rows") }
        guard try CSVReader.countRows(path: path, options: options(data[0])) == table.rowCount else {
            fatalError("countRows disagrees with the rows read")
        }
    } catch {
        fatalError("readPart of a file that read whole threw \(error)")
    }
    return 0
}
