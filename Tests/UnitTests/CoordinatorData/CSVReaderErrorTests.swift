import XCTest

@testable import Coordinator

/// Every way a CSV file can be wrong must say where (file, line, column) and what.
final class CSVReaderErrorTests: XCTestCase {
    private var directory: DataTestDirectory!

    override func setUpWithError() throws {
        directory = try DataTestDirectory()
    }

    override func tearDown() {
        directory = nil
    }

    /// Writes `text` to a file and asserts reading it fails at `line`/`field`.
    @discardableResult
    private func assertFails(
        _ text: String, _ options: CSVOptions = CSVOptions(), line: Int?, field: String?,
        _ fragments: String..., sourceLine: UInt = #line
    ) throws -> DataError? {
        let path = try directory.file("bad.csv", text)
        return assertDataError(
            try CSVReader.read(path: path, options: options), file: path, line: line,
            field: field, contains: fragments, sourceLine: sourceLine)
    }

    private let header = "DATE_TIME,OPEN,LOW,HIGH,CLOSE\n"

    func testNonNumericValueDescriptionNamesFileLineAndField() throws {
        let error = try assertFails(
            header + "d1,1,2,3,4\nd2,1,2,3,abc\n", line: 3, field: "CLOSE",
            "not a number: \"abc\"")
        XCTAssertEqual(error?.description, "\(directory.path)/bad.csv:3: field 'CLOSE': not a number: \"abc\"")
    }

    func testMissingFile() throws {
        let path = directory.path + "/nope.csv"
        assertDataError(
            try CSVReader.read(path: path, options: CSVOptions()), file: path, line: nil, field: nil,
            contains: ["cannot open", "No such file"])
    }

    func testDirectoryInsteadOfFile() throws {
        assertDataError(
            try CSVReader.read(path: directory.path, options: CSVOptions()), file: directory.path,
            line: nil, field: nil, contains: ["directory"])
    }

    func testUnreadableFile() throws {
        let path = try directory.file("secret.csv", "A\n1\n")
        chmod(path, 0)
        defer { chmod(path, 0o644) }
        if access(path, R_OK) != 0 {
            assertDataError(
                try CSVReader.read(path: path, options: CSVOptions()), file: path, line: nil, field: nil,
                contains: ["cannot open", "Permission denied"])
        }
        // Root may read anything; a file that opens but fails to read covers the read path.
        let failing = "/proc/self/mem"
        guard FileManager.default.fileExists(atPath: failing) else { return }
        assertDataError(
            try CSVReader.read(path: failing, options: CSVOptions()), file: failing, line: nil,
            field: nil, contains: ["cannot read the file"])
    }

    func testEmptyFile() throws {
        try assertFails("", line: nil, field: nil, "empty")
        let path = try directory.bytes("bom.csv", [0xEF, 0xBB, 0xBF, 0x0A, 0x0D, 0x0A])
        assertDataError(
            try CSVReader.read(path: path, options: CSVOptions()), file: path, line: nil, field: nil,
            contains: ["empty"])
    }

    func testHeaderOnly() throws {
        try assertFails(header, line: 1, field: nil, "header but no data rows")
        try assertFails("A,B\n\n\n", line: 1, field: nil, "header but no data rows")
        var options = CSVOptions()
        options.header = .present
        try assertFails("1,2\n", options, line: 1, field: nil, "header but no data rows")
    }

    func testRaggedRows() throws {
        try assertFails(header + "d1,1,2,3,4\nd2,1,2,3\n", line: 3, field: nil, "expected 5 fields", "got 4")
        try assertFails(header + "d1,1,2,3,4,5\n", line: 2, field: nil, "expected 5 fields", "got 6")
        try assertFails("1,2\n3\n", line: 2, field: nil, "expected 2 fields (as in the first row), got 1")
    }

    func testNonFiniteValues() throws {
        for text in ["nan", "NaN", "inf", "-Infinity", "+INF"] {
            try assertFails("A,B\n1,2\n3,\(text)\n", line: 3, field: "B", "not a finite number: \"\(text)\"")
        }
        try assertFails("A,B\n1,2\n3,1e999\n", line: 3, field: "B", "out of range", "\"1e999\"")
        try assertFails("A,B\n1,-1e999\n", line: 2, field: "B", "out of range")
    }

    func testMalformedNumbers() throws {
        for text in ["1.2.3", "0x1p3", "1,5", "--1", "1e", ".", "12abc", "1 2"] where text != "1,5" {
            try assertFails("A\n1\n\(text)\n", line: 3, field: "A", "not a number")
        }
    }

    func testEmptyValue() throws {
        try assertFails("A,B\n1,2\n3,\n", line: 3, field: "B", "empty value")
        try assertFails("A,B\n1,\n", line: 2, field: "B", "empty value")
    }

    func testTextInFirstDataRowOfSelectedColumn() throws {
        var options = CSVOptions()
        options.columns = ["B"]
        try assertFails("A,B\n1,x\n", options, line: 2, field: "B", "not a number: \"x\"")
    }

    func testUnknownColumnListsAvailableOnes() throws {
        var options = CSVOptions()
        options.columns = ["CLOSE", "VOLUME"]
        try assertFails(
            header + "d1,1,2,3,4\n", options, line: 1, field: nil,
            "unknown column \"VOLUME\"", "DATE_TIME, OPEN, LOW, HIGH, CLOSE", "1-5")
        options.columns = ["9"]
        try assertFails(header + "d1,1,2,3,4\n", options, line: 1, field: nil, "unknown column \"9\"")
        options.columns = ["0"]
        try assertFails("1,2\n", options, line: nil, field: nil, "unknown column \"0\"", "col1, col2")
        options.columns = nil
        options.dateColumn = .column("WHEN")
        try assertFails(header + "d1,1,2,3,4\n", options, line: 1, field: nil, "unknown date column \"WHEN\"")
    }

    func testBadSelections() throws {
        var options = CSVOptions()
        options.columns = ["OPEN", "2"]
        try assertFails(header + "d1,1,2,3,4\n", options, line: 1, field: "OPEN", "selected twice")
        options.columns = ["DATE_TIME"]
        try assertFails(header + "d1,1,2,3,4\n", options, line: 1, field: "DATE_TIME", "date column")
        options.columns = []
        try assertFails(header + "d1,1,2,3,4\n", options, line: nil, field: nil, "no columns selected")
        options.columns = ["A"]
        try assertFails("A,A\n1,2\n", options, line: 1, field: nil, "ambiguous", "columns 1, 2")
    }

    func testNoNumericColumn() throws {
        try assertFails("D,S\nd1,x\nd2,y\n", line: 2, field: nil, "no numeric column", "D, S")
        // A first row of text only is taken as a header, so the data starts on line 2.
        try assertFails("d1\nd2\n", line: 2, field: nil, "no numeric column")
        var options = CSVOptions()
        options.header = .absent
        try assertFails("d1\nd2\n", options, line: 1, field: nil, "no numeric column")
    }

    func testLineTooLong() throws {
        var options = CSVOptions()
        options.maxLineBytes = 16
        try assertFails(
            "A,B\n1,2\n1,\(String(repeating: "2", count: 20))\n3,4\n", options, line: 3, field: nil,
            "longer than 16 bytes")
        // No line break at all: must stop at the limit instead of reading everything.
        try assertFails(
            "A,B\n1,2\n" + String(repeating: "9", count: 100_000), options, line: 3, field: nil,
            "longer than 16 bytes")
        try assertFails(String(repeating: "x", count: 17) + "\n", options, line: 1, field: nil, "longer than")
    }

    func testTooManyColumns() throws {
        var options = CSVOptions()
        options.maxColumns = 3
        try assertFails("A,B,C,D\n1,2,3,4\n", options, line: 1, field: nil, "more than 3 fields")
        try assertFails("A,B,C\n1,2,3\n1,2,3,4\n", options, line: 3, field: nil, "more than 3 fields")
    }

    func testTooManyRows() throws {
        var options = CSVOptions()
        options.maxRows = 2
        try assertFails("A\n1\n2\n3\n", options, line: 4, field: nil, "more than 2 data rows")
        XCTAssertEqual(try CSVReader.read(path: directory.file("ok.csv", "A\n1\n2\n"), options: options).rowCount, 2)
    }

    func testQuotingErrors() throws {
        try assertFails("A,B\n1,\"2\n", line: 2, field: "B", "no closing quote")
        try assertFails("A,B\n\"1\"x,2\n", line: 2, field: "A", "after the closing quote")
        try assertFails("\"A,B\n1,2\n", line: 1, field: "col1", "no closing quote")
        try assertFails("A,B\n1,2\n3,\"4\n", line: 3, field: "B", "no closing quote")
    }

    func testEmptyLineInsideData() throws {
        try assertFails("A\n1\n\n2\n", line: 3, field: nil, "empty line", "line 4")
        try assertFails("\nA\n1\n", line: 1, field: nil, "empty line")
    }

    func testMessagesQuoteHostileInputSafely() throws {
        let error = try assertFails(
            "A\n1\n\u{1B}[31m\(String(repeating: "z", count: 500))\n", line: 3, field: "A",
            "not a number: \"\\u{1b}[31m")
        XCTAssertLessThan(error?.message.count ?? 0, 120)
    }
}
