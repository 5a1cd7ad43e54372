import Foundation
import XCTest

@testable import StateStore

final class StateStoreRunTests: XCTestCase {
    func testRunLifecycleConfigurationAndStatistics() throws {
        let directory = try StateStoreTestDirectory()
        let clock = StateStoreTestClock()
        let store = try StateStore.open(path: directory.file(), busyTimeout: 5, now: clock.now)
        let started = clock.date
        let id = try store.beginRun(actor: "alice", command: "feature-extractor data.csv --epochs 5")
        XCTAssertEqual(
            try store.runs(limit: 10),
            [
                RunRecord(
                    id: id, actor: "alice", command: "feature-extractor data.csv --epochs 5",
                    startedAt: started)
            ])
        let json = #"{"epochs":5,"window_size":128}"#
        let digest = try store.recordConfiguration(run: id, json: json, sources: ["defaults", "file:/x.json", "command line"])
        XCTAssertEqual(digest, sha256Hex(json))
        XCTAssertEqual(
            try store.configuration(run: id),
            StoredConfiguration(digest: digest, json: json, sources: ["defaults", "file:/x.json", "command line"]))
        let statistics = [
            RunStatistic(
                column: "CLOSE", interfaceSize: 32, epochs: 5, mse: 1.5e-5, mae: 0.002, windowMSE: 2e-5,
                baselineMSE: 3e-5, trainingSeconds: 1.25, windowsPerSecond: 180_000),
            RunStatistic(column: nil, interfaceSize: 4, epochs: 1, trainingSeconds: 0),
        ]
        try store.recordStatistics(run: id, statistics)
        try store.recordStatistics(run: id, [statistics[0]])
        XCTAssertEqual(try store.statistics(run: id), statistics + [statistics[0]])
        clock.advance(by: 2.5)
        try store.finishRun(id, outcome: "success", seconds: 2.5, rows: 1000, bytes: 65_536)
        let run = try XCTUnwrap(try store.runs(limit: 1).first)
        XCTAssertEqual(
            run,
            RunRecord(
                id: id, actor: "alice", command: "feature-extractor data.csv --epochs 5",
                startedAt: started, finishedAt: clock.date, outcome: "success", seconds: 2.5,
                rows: 1000, bytes: 65_536, configDigest: digest))
        assertStoreError(
            try store.finishRun(id, outcome: "failure", seconds: 1, rows: 0, bytes: 0),
            .invalid(what: "run \(id)", reason: "it is already finished"))
    }

    func testRunsAreNewestFirstAndUnknownRunsAreNamed() throws {
        let directory = try StateStoreTestDirectory()
        let store = try StateStore.open(path: directory.file())
        let ids = try (1...5).map { try store.beginRun(actor: StateStore.osUser, command: "run \($0)") }
        XCTAssertEqual(try store.runs(limit: 3).map(\.id), Array(ids.reversed().prefix(3)))
        XCTAssertEqual(try store.runs(limit: 3).first?.actor, StateStore.osUser)
        // Identical configurations are stored once.
        let first = try store.recordConfiguration(run: ids[0], json: "{}", sources: ["defaults"])
        let second = try store.recordConfiguration(run: ids[1], json: "{}", sources: ["defaults", "command line"])
        XCTAssertEqual(first, second)
        XCTAssertEqual(try store.configuration(run: ids[1])?.sources, ["defaults", "command line"])
        XCTAssertNil(try store.configuration(run: ids[2]))
        assertStoreError(try store.finishRun(999, outcome: "success", seconds: 1, rows: 1, bytes: 1), .notFound(what: "run 999"))
        assertStoreError(try store.recordConfiguration(run: 999, json: "{}", sources: []), .notFound(what: "run 999"))
        assertStoreError(try store.recordStatistics(run: 999, []), .notFound(what: "run 999"))
        XCTAssertEqual(try store.statistics(run: 999), [])
    }
}
