import Foundation
import TestSupport
import XCTest

@testable import Coordinator

/// `--rows` and `--shard`: every malformed value is a usage error naming the option, never a trap,
/// and the parts of `--shard I/N` tile the rows exactly.
final class RowSelectionTests: XCTestCase {
    func testMalformedSelectionsAreConfigurationErrorsNamingTheOption() {
        let rows = [
            "5:2", "", ":", ":5", "a:b", "1:2:3", "-1:4", "+1:4", "1.5:4", "99999999999999999999:", "0:99999999999999999999",
        ]
        for text in rows {
            XCTAssertThrowsError(try RowSelection.rows(text), text) { error in
                guard case ConfigurationError.invalid(let key, _) = error else { return XCTFail("\(text): \(error)") }
                XCTAssertEqual(key, "rows", text)
            }
        }
        for text in ["0/0", "3/3", "4/3", "1", "a/2", "-1/2", "1/-2", "0/99999999999999999999", "/", "0/2/3"] {
            XCTAssertThrowsError(try RowSelection.shard(text), text) { error in
                guard case ConfigurationError.invalid(let key, _) = error else { return XCTFail("\(text): \(error)") }
                XCTAssertEqual(key, "shard", text)
            }
        }
        XCTAssertEqual(try RowSelection.rows("2:5"), .rows(start: 2, end: 5))
        XCTAssertEqual(try RowSelection.rows("7:"), .rows(start: 7, end: nil))
        XCTAssertEqual(try RowSelection.shard("2/7"), .shard(index: 2, count: 7))
    }

    func testShardsTileTheRowsWithoutGapOrOverlapForAnyCount() throws {
        for total in [0, 1, 6, 7, 100, 30_425] {
            for count in [1, 2, 3, 7, 64, 1000] {
                var end = 0
                for index in 0..<count {
                    let r = try RowSelection.shard(index: index, count: count).range(totalRows: total, file: "f")
                    XCTAssertEqual(r.lowerBound, end, "\(index)/\(count) of \(total)")
                    XCTAssertLessThanOrEqual(r.count, total / count + 1)
                    XCTAssertGreaterThanOrEqual(r.count, total / count)
                    end = r.upperBound
                }
                XCTAssertEqual(end, total, "\(count) parts of \(total)")
            }
        }
        // No product overflows, whatever the numbers.
        let huge = try RowSelection.shard(index: Int.max - 1, count: Int.max).range(totalRows: 50_000_000, file: "f")
        XCTAssertEqual(huge, 50_000_000..<50_000_000)
    }

    func testARangePastTheEndNamesTheFileAndItsRowCount() {
        XCTAssertThrowsError(try RowSelection.rows(start: 10, end: 200).range(totalRows: 150, file: "data.csv")) { error in
            XCTAssertTrue("\(error)".contains("data.csv, which has 150 data rows"), "\(error)")
        }
    }

    /// A shard parses only its rows: a bad value outside them is not read, one inside is named by its line.
    func testReadPartParsesOnlyTheRowsAskedForAndKnowsTheTotalAtTheEnd() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let lines = (0..<10).map { "2020-01-\(String(format: "%02d", $0 + 1)),\($0)" }
        try ("DATE_TIME,CLOSE\n" + lines.joined(separator: "\n") + "\n2020-02-01,oops\n").write(
            toFile: dir.file("d.csv"), atomically: true, encoding: .utf8)
        let part = try CSVReader.readPart(path: dir.file("d.csv"), options: CSVOptions(), rows: 3..<6)
        XCTAssertEqual(part.table.columns[0], [3, 4, 5])
        XCTAssertEqual(Array(part.table.dates!), ["2020-01-04", "2020-01-05", "2020-01-06"])
        XCTAssertNil(part.totalRows, "stopped before the end")
        XCTAssertEqual(try CSVReader.countRows(path: dir.file("d.csv"), options: CSVOptions()), 11)
        XCTAssertThrowsError(try CSVReader.readPart(path: dir.file("d.csv"), options: CSVOptions(), rows: 8..<20)) { error in
            XCTAssertTrue("\(error)".hasPrefix(dir.file("d.csv") + ":12: field 'CLOSE'"), "\(error)")
        }
    }
}
