import XCTest

@testable import Coordinator

final class WindowSetTests: XCTestCase {
    private let windows = WindowSet(series: (0..<10).map(Float.init), windowSize: 4)

    private func copy(_ indices: [Int]) -> [Float] {
        var out = [Float](repeating: -1, count: indices.count * windows.windowSize)
        out.withUnsafeMutableBufferPointer { windows.fill(indices, into: $0) }
        return out
    }

    func testCountIsEveryStartPosition() {
        XCTAssertEqual(windows.count, 7)
        XCTAssertEqual(WindowSet(series: [1, 2, 3], windowSize: 3).count, 1)
        XCTAssertEqual(WindowSet(series: [1, 2, 3], windowSize: 1).count, 3)
    }

    func testFirstAndLastWindow() {
        XCTAssertEqual(copy([0]), [0, 1, 2, 3])
        XCTAssertEqual(copy([windows.count - 1]), [6, 7, 8, 9])
    }

    func testFillIsContiguousInRequestedOrder() {
        XCTAssertEqual(copy([5, 0, 2]), [5, 6, 7, 8, 0, 1, 2, 3, 2, 3, 4, 5])
        XCTAssertEqual(copy([]), [])
    }

    func testFillAcceptsAnyCollectionAndLeavesTheRestAlone() {
        var out = [Float](repeating: -1, count: 10)
        out.withUnsafeMutableBufferPointer { windows.fill(1...2, into: $0) }
        XCTAssertEqual(out, [1, 2, 3, 4, 2, 3, 4, 5, -1, -1])
    }
}
