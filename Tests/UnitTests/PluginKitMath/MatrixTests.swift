import XCTest

@testable import PluginKit

final class MatrixTests: XCTestCase {
    func testRepeatingInitialiser() {
        let m = Matrix(rows: 2, cols: 3, repeating: 1.5)
        XCTAssertEqual(m.rows, 2)
        XCTAssertEqual(m.cols, 3)
        XCTAssertEqual(m.values, [Float](repeating: 1.5, count: 6))
        XCTAssertEqual(Matrix(rows: 3, cols: 1).values, [0, 0, 0])
    }

    func testSubscriptIsRowMajor() {
        var m = Matrix(rows: 2, cols: 3, values: [1, 2, 3, 4, 5, 6])
        XCTAssertEqual(m[0, 0], 1)
        XCTAssertEqual(m[0, 2], 3)
        XCTAssertEqual(m[1, 0], 4)
        XCTAssertEqual(m[1, 2], 6)
        m[1, 1] = -7
        XCTAssertEqual(m.values, [1, 2, 3, 4, -7, 6])
    }

    func testEqualityIncludesShape() {
        let a = Matrix(rows: 2, cols: 3, values: [1, 2, 3, 4, 5, 6])
        XCTAssertEqual(a, Matrix(rows: 2, cols: 3, values: [1, 2, 3, 4, 5, 6]))
        XCTAssertNotEqual(a, Matrix(rows: 3, cols: 2, values: [1, 2, 3, 4, 5, 6]))
        XCTAssertNotEqual(a, Matrix(rows: 2, cols: 3, values: [1, 2, 3, 4, 5, 0]))
    }

    func testValueSemantics() {
        let a = Matrix(rows: 1, cols: 2, values: [1, 2])
        var b = a
        b[0, 0] = 9
        XCTAssertEqual(a.values, [1, 2])
        XCTAssertEqual(b.values, [9, 2])
    }

    func testEmptyMatrix() {
        let m = Matrix(rows: 0, cols: 4)
        XCTAssertEqual(m.values.count, 0)
        XCTAssertEqual(m.count, 0)
    }

    func testReshapeKeepsStorageWhenCountMatches() {
        var m = Matrix(rows: 2, cols: 6, repeating: 1)
        let before = m.values.withUnsafeBufferPointer { $0.baseAddress }
        m.reshapeDiscardingContents(rows: 3, cols: 4)
        XCTAssertEqual(m.rows, 3)
        XCTAssertEqual(m.cols, 4)
        XCTAssertEqual(m.values.withUnsafeBufferPointer { $0.baseAddress }, before)
        m.reshapeDiscardingContents(rows: 5, cols: 5)
        XCTAssertEqual(m.values.count, 25)
        m.setZero()
        XCTAssertEqual(m.values, [Float](repeating: 0, count: 25))
    }
}
