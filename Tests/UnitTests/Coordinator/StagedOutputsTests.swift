import Foundation
import XCTest

@testable import Coordinator

/// What is recorded about outputs happens only once they are committed.
final class StagedOutputsTests: XCTestCase {
    func testRecordsRunAfterTheCommitAndNeverForDiscardedOutputs() throws {
        let dir = NSTemporaryDirectory() + "fe-staged-test-\(getpid())"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var recorded: [String] = []

        let discarded = StagedOutputs()
        try "model".write(toFile: try discarded.stage(dir + "/a.bin"), atomically: false, encoding: .utf8)
        discarded.afterCommit { recorded.append("a.bin") }
        discarded.discard()
        XCTAssertEqual(recorded, [], "a failed run's outputs are not recorded as saved")
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/a.bin"))

        let kept = StagedOutputs()
        try "model".write(toFile: try kept.stage(dir + "/b.bin"), atomically: false, encoding: .utf8)
        kept.afterCommit {
            recorded.append(FileManager.default.fileExists(atPath: dir + "/b.bin") ? "b.bin in place" : "too early")
        }
        XCTAssertEqual(recorded, [])
        try kept.commit()
        XCTAssertEqual(recorded, ["b.bin in place"])
    }
}
