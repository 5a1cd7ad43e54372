import Foundation
import XCTest

@testable import Coordinator

final class NormalizationStatsTests: XCTestCase {
    private let table = TimeSeriesTable(
        columnNames: ["A", "FLAT", "B"],
        columns: [[1, 2, 3, 4], [7, 7, 7, 7], [-10, 0, 10, 20]],
        rowCount: 4)

    func testMinMaxMapsToUnitRangeAndRoundTrips() {
        let stats = NormalizationStats.fit(table, method: .minmax)
        XCTAssertEqual(stats.offset, [1, 7, -10])
        XCTAssertEqual(stats.scale, [3, 1, 30])
        let normalized = stats.normalize(table)
        XCTAssertEqual(normalized[0], [0, 1.0 / 3, 2.0 / 3, 1].map(Float.init))
        XCTAssertEqual(normalized[2].first, 0)
        XCTAssertEqual(normalized[2].last, 1)
        assertRoundTrip(stats, normalized)
    }

    func testZScoreUsesMeanAndPopulationDeviation() {
        let stats = NormalizationStats.fit(table, method: .zscore)
        XCTAssertEqual(stats.offset[0], 2.5)
        XCTAssertEqual(stats.scale[0], 1.25.squareRoot(), accuracy: 1e-12)
        let normalized = stats.normalize(table)
        let mean = normalized[2].reduce(0, +) / 4
        let variance = normalized[2].map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / 4
        XCTAssertEqual(mean, 0, accuracy: 1e-6)
        XCTAssertEqual(variance, 1, accuracy: 1e-5)
        assertRoundTrip(stats, normalized)
    }

    func testZScoreStaysAccurateForPriceLikeSeries() {
        // Mean 1.3, spread 1e-4: a one-pass variance would lose most digits here.
        let prices = (0..<10_000).map { 1.3 + 1e-4 * Double($0 % 2 == 0 ? 1 : -1) }
        let stats = NormalizationStats.fit(
            TimeSeriesTable(columnNames: ["P"], columns: [prices], rowCount: prices.count),
            method: .zscore)
        XCTAssertEqual(stats.scale[0], 1e-4, accuracy: 1e-12)
    }

    func testConstantColumnGetsScaleOneAndMapsToZero() {
        for method in [NormalizationMethod.minmax, .zscore] {
            let stats = NormalizationStats.fit(table, method: method)
            XCTAssertEqual(stats.scale[1], 1, "\(method)")
            XCTAssertEqual(stats.normalize(table)[1], [0, 0, 0, 0], "\(method)")
            XCTAssertEqual(stats.denormalize(0, column: 1), 7, "\(method)")
        }
    }

    func testNoneIsIdentity() {
        let stats = NormalizationStats.fit(table, method: .none)
        XCTAssertEqual(stats.offset, [0, 0, 0])
        XCTAssertEqual(stats.scale, [1, 1, 1])
        XCTAssertEqual(stats.normalize(table)[2], [-10, 0, 10, 20])
    }

    func testEmptyTableAndOutOfRangeColumnDoNotTrap() {
        let empty = TimeSeriesTable(columnNames: ["A"], columns: [[]], rowCount: 0)
        let stats = NormalizationStats.fit(empty, method: .zscore)
        XCTAssertEqual(stats.scale, [1])
        XCTAssertEqual(stats.denormalize(2, column: 5), 2)
        XCTAssertEqual(stats.normalize(table).count, 3)
    }

    func testCodableRoundTrip() throws {
        let stats = NormalizationStats.fit(table, method: .zscore)
        let data = try JSONEncoder().encode(stats)
        XCTAssertEqual(try JSONDecoder().decode(NormalizationStats.self, from: data), stats)
        XCTAssertTrue(String(decoding: data, as: UTF8.self).contains("\"zscore\""))
    }

    func testValidateRefusesUnusableStoredStats() {
        var stats = NormalizationStats.fit(table, method: .minmax)
        XCTAssertNoThrow(try stats.validate(against: ["A", "FLAT", "B"], source: "m.safetensors"))
        assertDataError(
            try stats.validate(against: ["A", "B"], source: "m.safetensors"), file: "m.safetensors",
            line: nil, field: nil, contains: ["trained on columns [A, FLAT, B]", "[A, B]"])
        stats.scale[2] = 0
        assertDataError(
            try stats.validate(source: "m.safetensors"), file: "m.safetensors", line: nil, field: "B",
            contains: ["not usable"])
        stats.scale.removeLast()
        assertDataError(
            try stats.validate(source: "m.safetensors"), file: "m.safetensors", line: nil, field: nil,
            contains: ["inconsistent"])
    }

    private func assertRoundTrip(
        _ stats: NormalizationStats, _ normalized: [[Float]],
        file: StaticString = #filePath, line: UInt = #line
    ) {
        for (column, values) in normalized.enumerated() {
            for (row, value) in values.enumerated() {
                XCTAssertEqual(
                    stats.denormalize(value, column: column), table.columns[column][row],
                    accuracy: 1e-5, file: file, line: line)
            }
        }
    }
}
