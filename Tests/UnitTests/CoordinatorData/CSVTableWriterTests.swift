import Foundation
import XCTest

@testable import Coordinator

final class CSVTableWriterTests: XCTestCase {
    func testWritesHeaderDatesAndShortestFloats() throws {
        let directory = try DataTestDirectory()
        let path = directory.path + "/features.csv"
        let rows: [[Double]] = [[0.1, -2], [1e-7, 3.25]]
        try CSVTableWriter.write(
            path: path, header: ["f1", "f2"], dates: ["2020-01-01 00:00:00", "2020-01-01 01:00:00"],
            rowCount: 2, columnCount: 2
        ) { row, values in
            values = rows[row]
        }
        XCTAssertEqual(
            try directory.contents("features.csv"),
            "DATE_TIME,f1,f2\n2020-01-01 00:00:00,0.1,-2.0\n2020-01-01 01:00:00,1e-07,3.25\n")
    }

    func testDoublePrecisionAndQuotingAndNoDates() throws {
        let directory = try DataTestDirectory()
        let path = directory.path + "/eval.csv"
        try CSVTableWriter.write(
            path: path, header: ["a,b", "say \"hi\""], dates: nil, rowCount: 1, columnCount: 2,
            precision: .float64
        ) { _, values in
            values[0] = 0.1
            values[1] = 1.0 / 3
        }
        XCTAssertEqual(
            try directory.contents("eval.csv"),
            "\"a,b\",\"say \"\"hi\"\"\"\n0.1,0.3333333333333333\n")
    }

    func testOutputReadsBackThroughCSVReader() throws {
        let directory = try DataTestDirectory()
        let path = directory.path + "/round.csv"
        let values: [[Float]] = [[1.5, -0.25, 3e-5], [1e10, 0, -7]]
        try CSVTableWriter.write(
            path: path, header: ["X", "Y, Z"], dates: ["d1", "d2", "d3"], rowCount: 3,
            columnCount: 2, dateHeader: "WHEN"
        ) { row, buffer in
            buffer[0] = Double(values[0][row])
            buffer[1] = Double(values[1][row])
        }
        let table = try CSVReader.read(path: path, options: CSVOptions())
        XCTAssertEqual(table.columnNames, ["X", "Y, Z"])
        XCTAssertEqual(table.dateColumnName, "WHEN")
        XCTAssertEqual(table.dates, ["d1", "d2", "d3"])
        XCTAssertEqual(table.columns.map { $0.map(Float.init) }, values)
    }

    func testUnsetValuesAreNaNNotStaleValues() throws {
        let directory = try DataTestDirectory()
        let path = directory.path + "/gaps.csv"
        try CSVTableWriter.write(path: path, header: ["A"], dates: nil, rowCount: 2, columnCount: 1) { row, values in
            if row == 0 { values[0] = 1 }
        }
        XCTAssertEqual(try directory.contents("gaps.csv"), "A\n1.0\nnan\n")
    }

    func testInconsistentArgumentsAreRefused() throws {
        let directory = try DataTestDirectory()
        let path = directory.path + "/x.csv"
        assertDataError(
            try CSVTableWriter.write(path: path, header: ["A"], dates: nil, rowCount: 1, columnCount: 2) { _, _ in },
            file: path, line: nil, field: nil, contains: ["1 column names for 2 columns"])
        assertDataError(
            try CSVTableWriter.write(path: path, header: ["A"], dates: ["d"], rowCount: 2, columnCount: 1) { _, _ in },
            file: path, line: nil, field: nil, contains: ["1 dates for 2 rows"])
        XCTAssertEqual(try directory.entries(), [])
    }

    func testLargeTableIsFast() throws {
        let directory = try DataTestDirectory()
        let path = directory.path + "/big.csv"
        let rows = 30_000, columns = 32
        let start = Date()
        try CSVTableWriter.write(
            path: path, header: (1...columns).map { "f\($0)" }, dates: nil, rowCount: rows,
            columnCount: columns
        ) { row, values in
            for column in 0..<columns { values[column] = Double(Float(row * columns + column) * 1.0e-3 - 0.5) }
        }
        let elapsed = Date().timeIntervalSince(start)
        print("CSVTableWriter 30,000 x 32: \(Int(elapsed * 1000)) ms")
        // Generous bound for a debug build on a busy machine; the release figure is far lower.
        XCTAssertLessThan(elapsed, 3)
        let table = try CSVReader.read(path: path, options: CSVOptions())
        XCTAssertEqual(table.rowCount, rows)
        XCTAssertEqual(Float(table.columns[31][29_999]), Float(29_999 * 32 + 31) * 1.0e-3 - 0.5)
    }

    /// A producer that fails mid-file leaves the old file as it was and no temporary file.
    func testThrowingProducerLeavesNothingBehind() throws {
        struct Stop: Error {}
        let directory = try DataTestDirectory()
        let target = directory.path + "/out.txt"
        try directory.file("out.txt", "old")
        XCTAssertThrowsError(
            try CSVTableWriter.write(
                path: target, header: ["A"], dates: nil, rowCount: 10,
                columnCount: 1
            ) { row, values in
                if row == 5 { throw Stop() }
                values[0] = Double(row)
            }
        ) { XCTAssertTrue($0 is Stop) }
        XCTAssertEqual(try directory.contents("out.txt"), "old")
        XCTAssertEqual(try directory.entries(), ["out.txt"])
    }
}
