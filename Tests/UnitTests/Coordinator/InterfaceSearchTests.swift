import XCTest

@testable import Coordinator

/// The search logic alone, over a known error curve (the error of each size is given).
final class InterfaceSearchTests: XCTestCase {
    /// Error falls with size: size s has error 1/s.
    private func curve(_ s: Int) -> Double { 1 / Double(s) }

    func testGrowingStopsAtFirstSizeMeetingThreshold() {
        let (steps, chosen) = InterfaceSearch(initial: 2, step: 3, threshold: 0.1, growing: true, windowSize: 64).run(curve)
        XCTAssertEqual(steps.map(\.interfaceSize), [2, 5, 8, 11])
        XCTAssertEqual(chosen, 11)
    }

    func testGrowingStopsAtTheWindowSize() {
        let (steps, chosen) = InterfaceSearch(initial: 4, step: 5, threshold: 1e-9, growing: true, windowSize: 12).run(curve)
        XCTAssertEqual(steps.map(\.interfaceSize), [4, 9, 12])
        XCTAssertEqual(chosen, 12, "no size met the threshold: the largest possible is kept")
    }

    func testShrinkingKeepsSmallestSizeMeetingThreshold() {
        let (steps, chosen) = InterfaceSearch(initial: 20, step: 4, threshold: 0.1, growing: false, windowSize: 64).run(curve)
        XCTAssertEqual(steps.map(\.interfaceSize), [20, 16, 12, 8])
        XCTAssertEqual(chosen, 12)
    }

    func testShrinkingStopsAtOne() {
        let (steps, chosen) = InterfaceSearch(initial: 5, step: 2, threshold: 2, growing: false, windowSize: 64).run(curve)
        XCTAssertEqual(steps.map(\.interfaceSize), [5, 3, 1])
        XCTAssertEqual(chosen, 1)
    }

    func testShrinkingWhereNothingMeetsKeepsTheInitialSize() {
        let (steps, chosen) = InterfaceSearch(initial: 8, step: 2, threshold: 1e-9, growing: false, windowSize: 64).run(curve)
        XCTAssertEqual(steps.map(\.interfaceSize), [8])
        XCTAssertEqual(chosen, 8)
    }
}
