import Foundation
import PluginHost
import PluginProtocol
import TestSupport
import XCTest

/// Inference spread over several processes of one plugin (`ForwardPipeline`), with real processes:
/// answers are taken from whichever copy has one, handed back in order, and a failing copy ends it.
final class ForwardPipelineTests: XCTestCase {
    /// A copy that answers slowly (a core shared with others) does not hold the rest to its pace,
    /// and the outputs are those of one process given every window's values, in order (the
    /// windows cross as their series: PluginKit plugins read overlapping rows).
    func testASlowCopyTakesFewerBatchesAndTheOutputsKeepTheirOrder() throws {
        let slow = try started("slow-forward", delay: 40)
        let fast = try started("slow-forward", delay: 0)
        defer { [slow, fast].forEach { $0.shutdown() } }
        XCTAssertTrue(fast.info?.supports(PluginCapability.rowStride) ?? false)
        let batches = (0..<24).map { Self.batch(seed: UInt64($0)) }
        XCTAssertFalse(batches[0].isDense)
        let expected = try batches.map {
            try fast.call(MethodName.forward, ForwardParams(input: $0.dense(), training: false), as: ForwardResult.self).output
        }

        var made = 0
        let pipeline = ForwardPipeline(lanes: [slow, fast], outputWidth: 2) {
            defer { made += 1 }
            return made < batches.count ? batches[made] : nil
        }
        var outputs: [Tensor] = []
        while let output = try pipeline.next() { outputs.append(output) }

        XCTAssertEqual(outputs, expected, "the same values as one process, in the order the batches were made")
        let (slowShare, fastShare) = (pipeline.answersPerLane[0], pipeline.answersPerLane[1])
        XCTAssertEqual(slowShare + fastShare, batches.count)
        // Taken in turn, each would compute 12; the slow one sleeps 40 ms a batch, the other answers in microseconds.
        XCTAssertGreaterThanOrEqual(fastShare, 2 * slowShare, "batches per copy: slow \(slowShare), fast \(fastShare)")
    }

    /// A copy that breaks the protocol (NaN in its answer) stops the pipeline with that copy's error.
    func testACopyThatAnswersWithNaNEndsThePipelineWithItsError() throws {
        let good = try started("slow-forward", delay: 0)
        let bad = try started("nan-output", delay: 0)
        defer { [good, bad].forEach { $0.shutdown() } }
        var made = 0
        let pipeline = ForwardPipeline(lanes: [good, bad], outputWidth: 2) {
            defer { made += 1 }
            return made < 8 ? Self.batch(seed: UInt64(made)) : nil
        }
        XCTAssertThrowsError(try { while try pipeline.next() != nil {} }()) { error in
            guard case .protocolViolation(let plugin, _, _)? = error as? PluginError else {
                return XCTFail("expected a protocol violation, got \(error)")
            }
            XCTAssertEqual(plugin, "encoder 'nan-output'")
        }
    }

    /// A copy that stops answering is cut off by its call deadline while the others still answer:
    /// waiting on several copies at once never waits without a bound.
    func testACopyThatStopsAnsweringTimesOutInsteadOfHangingThePipeline() throws {
        var limits = RPCLimits()
        limits.callTimeout = 2
        let good = try started("slow-forward", delay: 0)
        let hung = try started("hang-on-forward", delay: 0, limits: limits)
        defer { [good, hung].forEach { $0.shutdown() } }
        var made = 0
        let pipeline = ForwardPipeline(lanes: [good, hung], outputWidth: 2) {
            defer { made += 1 }
            return made < 64 ? Self.batch(seed: UInt64(made)) : nil
        }
        let start = Date()
        XCTAssertThrowsError(try { while try pipeline.next() != nil {} }()) { error in
            guard case .timedOut(let plugin, _, _, _)? = error as? PluginError else {
                return XCTFail("expected a timeout, got \(error)")
            }
            XCTAssertEqual(plugin, "encoder 'hang-on-forward'")
        }
        XCTAssertLessThan(Date().timeIntervalSince(start), 30, "cut off by the 2 s call deadline")
    }

    /// A sandboxed fixture encoder (windows of 8, features of 2, seed 1: every copy has the same weights).
    private func started(_ name: String, delay: Int, limits: RPCLimits = RPCLimits()) throws -> PluginConnection {
        let c = try TestPlugins.connect(name, .encoder, limits: limits)
        _ = try c.call(
            MethodName.configure,
            ConfigureParams(inputShape: [8], outputShape: [2], seed: 1, parameters: ["delay_ms": .number(Double(delay))]),
            as: ConfigureResult.self)
        return c
    }

    /// The 16 windows of 8 values of a series of 23, different for every seed.
    private static func batch(seed: UInt64) -> StridedRows {
        StridedRows(shape: [16, 8], rowStride: 1, values: (0..<23).map { Float(sin(Double(seed) * 131 + Double($0) * 0.3)) })
    }
}
