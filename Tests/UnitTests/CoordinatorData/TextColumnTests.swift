import XCTest

@testable import Coordinator

final class TextColumnTests: XCTestCase {
    func testKeepsEveryTextInOrderEmptyAndNonASCIIIncluded() {
        let texts = ["2020-01-01 00:00:00", "", "día 2", "\"quoted\", with comma", "x"]
        let column = TextColumn(texts)
        XCTAssertEqual(column.count, texts.count)
        XCTAssertEqual(Array(column), texts)
        XCTAssertEqual(Array(column.utf8(2)), Array("día 2".utf8))
    }

    func testSlicesAreColumnsOfTheirOwn() {
        let column: TextColumn = ["a", "bb", "", "dddd", "e"]
        XCTAssertEqual(Array(column.slice(1..<4)), ["bb", "", "dddd"])
        XCTAssertEqual(column.slice(1..<4), ["bb", "", "dddd"])
        XCTAssertEqual(column.slice(5..<5).count, 0)
        XCTAssertEqual(Array(column.slice(0..<5)), Array(column))
    }

    /// Equal texts make equal columns, whatever the bytes' capacity; a different split is not equal.
    func testEqualityIsByTexts() {
        var grown = TextColumn()
        grown.reserveCapacity(100, bytesEach: 30)
        for text in ["ab", "c"] { grown.append(text) }
        XCTAssertEqual(grown, ["ab", "c"])
        XCTAssertNotEqual(grown, ["a", "bc"])
    }
}
