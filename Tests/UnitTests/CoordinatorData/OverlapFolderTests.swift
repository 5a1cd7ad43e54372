import XCTest

@testable import Coordinator

final class OverlapFolderTests: XCTestCase {
    private func add(_ folder: inout OverlapFolder, _ start: Int, _ values: [Float]) {
        values.withUnsafeBufferPointer { folder.add(windowStart: start, values: $0) }
    }

    func testAveragesOverlappingPredictions() {
        // Windows of 2 over 4 positions:   pos0  pos1  pos2  pos3
        //   start 0: [1, 2]                 1     2
        //   start 1: [4, 6]                       4     6
        //   start 2: [8, 10]                            8     10
        // averages:                          1     3     7     10
        var folder = OverlapFolder(seriesLength: 4, windowSize: 2)
        add(&folder, 0, [1, 2])
        add(&folder, 1, [4, 6])
        add(&folder, 2, [8, 10])
        XCTAssertEqual(folder.result(), [1, 3, 7, 10])
    }

    func testFoldingExactWindowsGivesTheSeriesBack() {
        let series = (0..<20).map { Float($0) * 0.5 }
        let windows = WindowSet(series: series, windowSize: 5)
        var folder = OverlapFolder(seriesLength: series.count, windowSize: 5)
        var buffer = [Float](repeating: 0, count: 5)
        for start in 0..<windows.count {
            buffer.withUnsafeMutableBufferPointer { windows.fill([start], into: $0) }
            add(&folder, start, buffer)
        }
        XCTAssertEqual(folder.result(), series.map(Double.init))
    }

    func testUncoveredPositionsAreNaN() {
        var folder = OverlapFolder(seriesLength: 5, windowSize: 2)
        add(&folder, 0, [1, 1])
        let result = folder.result()
        XCTAssertEqual(Array(result[0..<2]), [1, 1])
        XCTAssertTrue(result[2...].allSatisfy(\.isNaN))
    }
}
