import XCTest

@testable import Coordinator

final class ErrorMetricsTests: XCTestCase {
    func testMSEAndMAEHandComputed() {
        // differences 0, -2, 3: squares 0 + 4 + 9 = 13, absolutes 0 + 2 + 3 = 5
        XCTAssertEqual(ErrorMetrics.mse([1, 2, 3], [1, 4, 0]), 13.0 / 3, accuracy: 1e-12)
        XCTAssertEqual(ErrorMetrics.mae([1, 2, 3], [1, 4, 0]), 5.0 / 3, accuracy: 1e-12)
        XCTAssertEqual(ErrorMetrics.mse([2], [2]), 0)
    }

    func testEmptyInputIsNaN() {
        XCTAssertTrue(ErrorMetrics.mse([], []).isNaN)
        XCTAssertTrue(ErrorMetrics.mae([], []).isNaN)
    }
}
