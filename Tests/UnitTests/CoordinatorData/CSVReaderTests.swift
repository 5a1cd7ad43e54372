import XCTest

@testable import Coordinator

/// Happy paths of CSV reading: layouts the tool must understand without options.
final class CSVReaderTests: XCTestCase {
    private func read(_ text: String, _ options: CSVOptions = CSVOptions()) throws -> TimeSeriesTable {
        let directory = try DataTestDirectory()
        return try CSVReader.read(path: directory.file("in.csv", text), options: options)
    }

    func testSampleFileHeaderDatesAndValues() throws {
        guard let path = sampleCSVPath() else { throw XCTSkip("sample data not found") }
        let table = try CSVReader.read(path: path, options: CSVOptions())
        XCTAssertEqual(table.rowCount, 30_425)
        XCTAssertEqual(table.columnNames, ["OPEN", "LOW", "HIGH", "CLOSE"])
        XCTAssertEqual(table.dateColumnName, "DATE_TIME")
        XCTAssertEqual(table.dates?.count, 30_425)
        XCTAssertEqual(table.dates?.first, "2005-05-09 23:00:00")
        XCTAssertEqual(table.columns.map(\.count), [30_425, 30_425, 30_425, 30_425])
        XCTAssertEqual(table.columns.map { $0[0] }, [1.2852, 1.2838, 1.2853, 1.2845])
        XCTAssertEqual(table.dates?.last, "2010-03-29 13:00:00")
        XCTAssertEqual(table.columns.map { $0.last! }, [1.34427, 1.34374, 1.3461, 1.34466])
    }

    func testHeaderWithDatesIsDetected() throws {
        let table = try read("DATE,A,B\n2020-01-01,1,2\n2020-01-02,3,4\n")
        XCTAssertEqual(
            table,
            TimeSeriesTable(
                columnNames: ["A", "B"], columns: [[1, 3], [2, 4]],
                dates: ["2020-01-01", "2020-01-02"], rowCount: 2,
                dateColumnName: "DATE"))
    }

    func testHeaderWithoutDatesIsDetected() throws {
        let table = try read("A,B\n1.5,-2\n3,4e2\n")
        XCTAssertEqual(table.columnNames, ["A", "B"])
        XCTAssertEqual(table.columns, [[1.5, 3], [-2, 400]])
        XCTAssertNil(table.dates)
        XCTAssertNil(table.dateColumnName)
    }

    func testHeaderlessNumbersGetColumnNumbersAsNames() throws {
        let table = try read("1,2\n3,4\n")
        XCTAssertEqual(table.columnNames, ["col1", "col2"])
        XCTAssertEqual(table.columns, [[1, 3], [2, 4]])
        XCTAssertEqual(table.rowCount, 2)
    }

    func testHeaderlessWithDatesKeepsFileColumnNumbers() throws {
        let table = try read("2020-01-01,1,2\n2020-01-02,3,4\n")
        XCTAssertEqual(table.columnNames, ["col2", "col3"])
        XCTAssertEqual(table.dates, ["2020-01-01", "2020-01-02"])
        XCTAssertEqual(table.dateColumnName, "col1")
        XCTAssertEqual(table.rowCount, 2)
    }

    func testSingleRowWithoutHeaderIsData() throws {
        let table = try read("2020-01-01,1.5\n")
        XCTAssertEqual(table.columns, [[1.5]])
        XCTAssertEqual(table.dates, ["2020-01-01"])
    }

    func testNumericHeaderNeedsPresentMode() throws {
        let auto = try read("1,2\n3,4\n")
        XCTAssertEqual(auto.rowCount, 2)
        var options = CSVOptions()
        options.header = .present
        let present = try read("1,2\n3,4\n", options)
        XCTAssertEqual(present.columnNames, ["1", "2"])
        XCTAssertEqual(present.columns, [[3], [4]])
    }

    func testAbsentModeReadsFirstRowAsData() throws {
        var options = CSVOptions()
        options.header = .absent
        let table = try read("d1,1\nd2,2\n", options)
        XCTAssertEqual(table.columns, [[1, 2]])
        XCTAssertEqual(table.dates, ["d1", "d2"])
    }

    func testColumnSelectionByNameAndNumberKeepsRequestedOrder() throws {
        var options = CSVOptions()
        options.columns = ["CLOSE", "2"]
        let table = try read("DATE_TIME,OPEN,LOW,HIGH,CLOSE\nd1,1,2,3,4\nd2,5,6,7,8\n", options)
        XCTAssertEqual(table.columnNames, ["CLOSE", "OPEN"])
        XCTAssertEqual(table.columns, [[4, 8], [1, 5]])
        XCTAssertEqual(table.dates, ["d1", "d2"])
    }

    func testNameWinsOverNumberWhenHeaderHoldsDigits() throws {
        var options = CSVOptions()
        options.header = .present
        options.columns = ["1"]
        let table = try read("2,1\n10,20\n", options)
        XCTAssertEqual(table.columnNames, ["1"])
        XCTAssertEqual(table.columns, [[20]])
    }

    func testHeaderlessSelectionByNumberAndGeneratedName() throws {
        var options = CSVOptions()
        options.columns = ["3", "col2"]
        let table = try read("1,2,3\n4,5,6\n", options)
        XCTAssertEqual(table.columnNames, ["col3", "col2"])
        XCTAssertEqual(table.columns, [[3, 6], [2, 5]])
    }

    func testExplicitDateColumnAnywhere() throws {
        var options = CSVOptions()
        options.dateColumn = .column("WHEN")
        let table = try read("A,WHEN,B\n1,t1,2\n3,t2,4\n", options)
        XCTAssertEqual(table.columnNames, ["A", "B"])
        XCTAssertEqual(table.dates, ["t1", "t2"])
        XCTAssertEqual(table.dateColumnName, "WHEN")
    }

    func testNumericFirstColumnIsDataUnlessNamedAsDate() throws {
        let auto = try read("T,A\n1,10\n2,20\n")
        XCTAssertEqual(auto.columnNames, ["T", "A"])
        XCTAssertNil(auto.dates)
        var options = CSVOptions()
        options.dateColumn = .column("1")
        let dated = try read("T,A\n1,10\n2,20\n", options)
        XCTAssertEqual(dated.columnNames, ["A"])
        XCTAssertEqual(dated.dates, ["1", "2"])
    }

    func testDateColumnNoneSkipsTextColumnWhenSelectingAll() throws {
        var options = CSVOptions()
        options.dateColumn = .none
        let table = try read("D,A\nd1,1\nd2,2\n", options)
        XCTAssertNil(table.dates)
        XCTAssertEqual(table.columnNames, ["A"])
    }

    func testTextColumnsAreSkippedWhenSelectingAll() throws {
        let table = try read("D,SYMBOL,A\nd1,EURUSD,1\nd2,EURUSD,2\n")
        XCTAssertEqual(table.columnNames, ["A"])
        XCTAssertEqual(table.columns, [[1, 2]])
    }

    func testCRLFAndBOM() throws {
        let directory = try DataTestDirectory()
        let path = try directory.bytes("bom.csv", [0xEF, 0xBB, 0xBF] + Array("DATE,A\r\nd1,1.5\r\nd2,2.5\r\n".utf8))
        let table = try CSVReader.read(path: path, options: CSVOptions())
        XCTAssertEqual(table.dateColumnName, "DATE")
        XCTAssertEqual(table.columnNames, ["A"])
        XCTAssertEqual(table.dates, ["d1", "d2"])
        XCTAssertEqual(table.columns, [[1.5, 2.5]])
    }

    func testTrailingBlankLinesAndMissingFinalNewline() throws {
        XCTAssertEqual(try read("A\n1\n2\n\n  \r\n\n").columns, [[1, 2]])
        XCTAssertEqual(try read("A\n1\n2").columns, [[1, 2]])
    }

    func testQuotedFieldsAndBlanksAroundFields() throws {
        let table = try read("\"DATE\",\"A, b\", C \n\"2020-01-01\",\"1.5\", 2 \n\"x \"\"y\"\"\" , 3,\t4\n")
        XCTAssertEqual(table.columnNames, ["A, b", "C"])
        XCTAssertEqual(table.dates, ["2020-01-01", "x \"y\""])
        XCTAssertEqual(table.columns, [[1.5, 3], [2, 4]])
    }

    func testEmptyHeaderNameFallsBackToColumnNumber() throws {
        let table = try read(",A\n1,2\n")
        XCTAssertEqual(table.columnNames, ["col1", "A"])
    }

    func testNumbersParseExactlyLikeSwift() throws {
        let texts = [
            "0.1", "1.28405", "-0.000123", "123456789012345", "1234567890123456789", "1e-5",
            "+7", "5.", ".5", "-0", "0.30000000000000004", "2.2250738585072014e-308", "1e308",
        ]
        let table = try read("A\n" + texts.joined(separator: "\n") + "\n")
        XCTAssertEqual(table.columns[0], texts.map { Double($0)! })
        XCTAssertEqual(table.columns[0][9].sign, .minus)
    }

    func testLineLimitIsInclusive() throws {
        var options = CSVOptions()
        options.maxLineBytes = 5
        XCTAssertEqual(try read("ABCDE\r\n12345\n", options).columns, [[12345]])
    }

    func testLongLinesCrossingTheReadBuffer() throws {
        // Lines longer than the initial 64 KiB buffer force it to grow.
        let names = (1...12_000).map { "C\($0)" }.joined(separator: ",")
        let values = (1...12_000).map(String.init).joined(separator: ",")
        var options = CSVOptions()
        options.maxColumns = 12_000
        let table = try read("\(names)\n\(values)\n\(values)\n", options)
        XCTAssertEqual(table.columns.count, 12_000)
        XCTAssertEqual(table.columns[11_999], [12_000, 12_000])
    }

    func testEnsureRows() throws {
        let table = TimeSeriesTable(columnNames: ["A"], columns: [[1, 2, 3]], rowCount: 3)
        XCTAssertNoThrow(try CSVReader.ensureRows(table, atLeast: 3, file: "d.csv"))
        let error = assertDataError(
            try CSVReader.ensureRows(table, atLeast: 4, file: "d.csv"),
            file: "d.csv", line: nil, field: nil,
            contains: ["fewer rows (3) than the window size (4)"])
        XCTAssertEqual(error?.description.hasPrefix("d.csv: fewer rows (3)"), true)
        assertDataError(
            try CSVReader.ensureRows(table, atLeast: 0, file: "d.csv"),
            file: "d.csv", line: nil, field: nil, contains: ["at least 1"])
    }
}
