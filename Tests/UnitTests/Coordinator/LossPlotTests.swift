import Foundation
import XCTest

@testable import Coordinator

/// The loss plot's choices: which lines, which scale, which ticks.
final class LossPlotTests: XCTestCase {
    private func result(_ size: Int, _ losses: [(Double, Double?)]) -> TrainingResult {
        TrainingResult(
            interfaceSize: size,
            epochs: losses.enumerated().map { i, l in
                EpochReport(
                    interfaceSize: size, epoch: i + 1, epochs: losses.count, trainingMSE: l.0, validationMSE: l.1, seconds: 1,
                    windowsPerSecond: 1)
            }, validationMSE: nil, initialValidationMSE: nil, trainingWindows: 10, trainingSeconds: 1, restarts: 0)
    }

    func testASizeTrainedAgainIsOneLineAndValidationIsDrawnOnlyWhenThereIsSome() {
        let plot = LossPlot([result(8, [(1, 2), (0.5, 1)]), result(4, [(3, nil)]), result(8, [(1, 2), (0.5, 1)])])
        XCTAssertEqual(plot.series.map { "\($0.kind) \($0.interfaceSize)" }, ["training 8", "validation 8", "training 4"])
    }

    func testTheLossAxisIsLogarithmicOnlyPastADecade() {
        XCTAssertFalse(LossPlot([result(4, [(1, 2), (0.2, 0.3)])]).logarithmic)
        XCTAssertTrue(LossPlot([result(4, [(1, 2), (0.05, 0.3)])]).logarithmic)
        let axis = LossPlot.Axis.logarithmic(0.05, 2)
        XCTAssertEqual(axis.ticks.count, 4)
        for (tick, expected) in zip(axis.ticks, [0.01, 0.1, 1, 10]) { XCTAssertEqual(tick, expected, accuracy: expected * 1e-12) }
        XCTAssertEqual(axis.fraction(0.1), 1.0 / 3, accuracy: 1e-12)
    }

    func testLinearTicksAreRoundStepsAroundTheData() {
        let axis = LossPlot.Axis.linear(0.00012, 0.00031)
        XCTAssertEqual(axis.lower, 0.0001, accuracy: 1e-15)
        XCTAssertEqual(axis.upper, 0.00035, accuracy: 1e-15)
        XCTAssertEqual(axis.ticks.count, 6)
        XCTAssertEqual(LossPlot.Axis.epochs(25).ticks, [1, 4, 7, 10, 13, 16, 19, 22, 25])
        XCTAssertEqual(LossPlot.Axis.epochs(1).ticks, [1, 2], "one epoch still has an axis")
    }

    func testNoEpochsStillMakesAValidPicture() throws {
        let svg = LossPlot([result(4, [])]).svg()
        XCTAssertTrue(svg.contains("no epochs were trained"))
        XCTAssertTrue(svg.hasSuffix("</svg>\n"))
    }
}
