import Foundation
import XCTest

@testable import Coordinator

/// Reading the sample must stay far below the 100 ms budget (release). Debug builds are
/// several times slower, so the assertion is loose; the printed figure is the useful part.
final class CSVReaderPerformanceTests: XCTestCase {
    func testSampleReadTime() throws {
        guard let path = sampleCSVPath() else { throw XCTSkip("sample data not found") }
        var timings: [Double] = []
        for _ in 0..<5 {
            let start = DispatchTime.now().uptimeNanoseconds
            let table = try CSVReader.read(path: path, options: CSVOptions())
            timings.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6)
            XCTAssertEqual(table.rowCount, 30_425)
        }
        let best = timings.min()!
        print("CSVReader sample (30,425 rows x 5 columns): best \(best) ms of \(timings.map { Int($0) }) ms")
        XCTAssertLessThan(best, 1_000)
    }
}
