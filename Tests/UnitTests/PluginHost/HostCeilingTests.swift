import Foundation
import XCTest

@testable import PluginHost
@testable import PluginProtocol

/// Limits the host imposes whatever the policy asks, what /proc says of a silent plugin, and
/// per-call limits that follow earlier answers.
final class HostCeilingTests: XCTestCase {
    private let policy = ResourceLimits(
        addressSpaceBytes: 8 << 30, cpuSeconds: 86_400, openFiles: 64, fileSizeBytes: 0, processes: 0)

    func testAnInheritedHardLimitLowersThePolicysAndIsNamed() {
        let host = HostCeiling(memoryBytes: 24 << 30, inherited: ResourceLimits(addressSpaceBytes: 4 << 30, cpuSeconds: 600))
        let limits = policy.tightened(by: host.limits)
        XCTAssertEqual(limits.addressSpaceBytes, 4 << 30)
        XCTAssertEqual(limits.cpuSeconds, 599, "one second under: the launcher's hard CPU limit is the soft one plus one")
        XCTAssertEqual(limits.openFiles, 64)
        let notes = host.notes(lowering: policy)
        XCTAssertEqual(notes.count, 2, "\(notes)")
        XCTAssertTrue(notes[0].contains("4.0 GiB") && notes[0].contains("ulimit -Hv") && notes[0].contains("8.0 GiB"), notes[0])
        XCTAssertTrue(notes[1].contains("599 s") && notes[1].contains("ulimit -Ht"), notes[1])
    }

    func testASmallMachineLowersTheMemoryLimitToItsMemory() {
        let host = HostCeiling(memoryBytes: 2 << 30, inherited: ResourceLimits())
        XCTAssertEqual(policy.tightened(by: host.limits).addressSpaceBytes, 2 << 30)
        let notes = host.notes(lowering: policy)
        XCTAssertEqual(notes.count, 1)
        XCTAssertTrue(notes[0].contains("2.0 GiB, this machine's memory"), notes[0])
    }

    func testAHostAboveThePolicyChangesNothing() {
        let host = HostCeiling(memoryBytes: 64 << 30, inherited: ResourceLimits(openFiles: 1 << 20))
        XCTAssertEqual(policy.tightened(by: host.limits), policy)
        XCTAssertEqual(host.notes(lowering: policy), [])
    }

    func testThisMachinesFiguresAreRead() {
        let memory = try? XCTUnwrap(HostCeiling.machineMemoryBytes())
        XCTAssertGreaterThan(memory ?? 0, 64 << 20, "MemTotal is readable on Linux")
        // This process's own open-file hard limit is what getrlimit says.
        var rl = rlimit()
        getrlimit(__rlimit_resource_t(UInt32(RLIMIT_NOFILE.rawValue)), &rl)
        XCTAssertEqual(HostCeiling.inheritedHardLimits().openFiles, rl.rlim_max == rlim_t.max ? nil : UInt64(rl.rlim_max))
    }

    func testProcStatIsReadAfterTheLastParenthesisOfTheName() throws {
        let stat = "4242 (odd) name (x)) R 1 4242 4242 0 -1 4194304 100 0 0 0 1490 10 0 0 20 0 1 0 5 123 456"
        let status = "Name:\todd\nVmPeak:\t  524288 kB\nVmHWM:\t  1024 kB\n"
        let a = try XCTUnwrap(ProcessActivity.parse(stat: stat, status: status, ticksPerSecond: 100))
        XCTAssertEqual(a.state, "R")
        XCTAssertEqual(a.cpuSeconds, 15, accuracy: 1e-9)
        XCTAssertEqual(a.virtualPeakBytes, 512 << 20)
        XCTAssertEqual(a.residentPeakBytes, 1 << 20)
        let said = a.description(addressSpaceLimit: 512 << 20)
        XCTAssertTrue(said.contains("running on the CPU") && said.contains("15.0 s of CPU"), said)
        XCTAssertTrue(said.contains("so its allocations were failing"), said)
        XCTAssertFalse(a.description(addressSpaceLimit: 8 << 30).contains("failing"))
        XCTAssertNil(ProcessActivity.parse(stat: "4242 (truncated", status: ""))
        XCTAssertNil(ProcessActivity.parse(stat: "1 (x) S 1 2", status: ""))
    }

    func testCallLimitsAdaptAfterTheWarmUpAndScaleWithTheBatch() {
        var limits = RPCLimits()
        limits.callTimeout = 120
        limits.adaptiveFloor = 0.001
        var d = CallDeadlines()
        d.sent(1, method: "forward", rows: 100)
        XCTAssertEqual(d.limit(for: 1, limits: limits).seconds, 120, "no history: the fixed limit")
        usleep(20_000)
        d.answered(1)
        d.sent(2, method: "forward", rows: 100)
        XCTAssertEqual(d.limit(for: 2, limits: limits).seconds, 120, "still warming up")
        d.answered(2)
        d.sent(3, method: "forward", rows: 100)
        let (small, why) = d.limit(for: 3, limits: limits)
        XCTAssertGreaterThanOrEqual(small, 20 * 0.020, "20x the slowest answer (at least 20 ms)")
        XCTAssertLessThan(small, 120)
        XCTAssertTrue(why?.contains("earlier forward calls took at most") ?? false, why ?? "-")
        d.sent(4, method: "forward", rows: 1000)
        XCTAssertEqual(d.limit(for: 4, limits: limits).seconds, small * 10, accuracy: small * 1e-9, "ten times the rows")
        XCTAssertFalse(d.expectsQuickAnswer(4, within: 0.001), "forwards took 20 ms: no point polling for one")
        d.sent(5, method: "step", rows: 1)
        XCTAssertTrue(d.expectsQuickAnswer(5, within: 0.001), "no history: poll")
        XCTAssertEqual(d.limit(for: 5, limits: limits).seconds, 120, "each method has its own history")
        limits.adaptiveFactor = nil
        XCTAssertEqual(d.limit(for: 3, limits: limits).seconds, 120, "adaptation can be turned off")
        limits.adaptiveFactor = 20
        limits.adaptiveFloor = 10
        XCTAssertEqual(d.limit(for: 3, limits: limits).seconds, 10, "never under the floor")
        d.sent(6, method: MethodName.configure, rows: 1)
        XCTAssertEqual(d.limit(for: 3, limits: limits).seconds, 120, "a new model starts its history afresh")
    }
}
