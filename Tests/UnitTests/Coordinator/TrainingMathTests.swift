import XCTest

@testable import Coordinator

final class TrainingMathTests: XCTestCase {
    func testMSEGradientMatchesDefinition() {
        let p: [Float] = [1, 2, 3, 4, 0.5], t: [Float] = [0, 2, 5, 4, -0.5]
        var g: [Float] = []
        let mse = Autoencoder.mseGradient(p, t, into: &g)
        XCTAssertEqual(mse, (1 + 0 + 4 + 0 + 1) / 5, accuracy: 1e-12)
        XCTAssertEqual(g, zip(p, t).map { 2 * ($0 - $1) / 5 })
    }

    func testCatalogNumbersWindowsAcrossColumns() {
        let catalog = WindowCatalog(series: [[0, 1, 2, 3, 4], [10, 11, 12, 13, 14]], windowSize: 3)
        XCTAssertEqual(catalog.perColumn, 3)
        XCTAssertEqual(catalog.count, 6)
        var buffer: [Float] = []
        catalog.fill([0, 4, 2][...], into: &buffer)
        XCTAssertEqual(buffer, [0, 1, 2, 11, 12, 13, 2, 3, 4])
    }
}
