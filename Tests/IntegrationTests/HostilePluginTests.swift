import Coordinator
import Foundation
import PluginHost
import PluginProtocol
import TestSupport
import XCTest

/// Hostile plugins (Tests/Fixtures/FixturePlugin) attack the coordinator at their first
/// `forward`. Every test asserts that the attack failed, that the coordinator (this test
/// process) survived with a clear error, that the plugin process is gone afterwards and
/// that it all took a bounded time.
///
/// The attacks on the machine (memory, CPU, processes, network, files) are stopped by
/// the plugin sandbox; without it those tests fail, and their messages show the attack
/// really happened (the marker file exists, the listener got "leak", ...).
/// `testMachineAttacksSucceedWithoutTheSandbox` is the control that keeps them honest.
final class HostilePluginTests: XCTestCase {
    // MARK: - Attacks on the protocol

    func testGarbageOnStdoutIsAProtocolViolation() throws {
        let c = try TestPlugins.connect("garbage-stdout", .encoder, limits: limits(callTimeout: 10))
        defer { c.shutdown() }
        try configure(c)
        let clock = Stopwatch()
        let error = try failure(of: forward(c))
        guard case .protocolViolation(_, let during, let reason) = error else {
            return XCTFail("expected a protocol violation, got \(error)")
        }
        XCTAssertEqual(during, MethodName.forward)
        XCTAssertTrue(reason.contains("header"), reason)
        XCTAssertLessThan(clock.seconds, 5)
        assertGone(c)
        assertStaysFailed(c, with: error)
    }

    func testOversizedFrameIsRefusedFromItsHeaderWithoutAllocatingIt() throws {
        var limits = limits(callTimeout: 10)
        limits.maxFrameBytes = 1 << 20
        let c = try TestPlugins.connect("oversized-frame", .encoder, limits: limits)
        defer { c.shutdown() }
        try configure(c)
        let rssBefore = peakRSSBytes()
        let clock = Stopwatch()
        let error = try failure(of: forward(c))
        guard case .protocolViolation(_, _, let reason) = error else {
            return XCTFail("expected a protocol violation, got \(error)")
        }
        // The fixture announces 999,999,999,999 bytes; the limit is 1 MiB.
        XCTAssertTrue(reason.contains("999999999999") && reason.contains("\(1 << 20)"), reason)
        XCTAssertLessThan(clock.seconds, 5)
        XCTAssertLessThan(peakRSSBytes() - rssBefore, 64 << 20, "the coordinator must not allocate what a header announces")
        assertGone(c)
    }

    /// A well-formed answer of 200 MB, under the 256 MiB frame limit, once drove the coordinator to
    /// 6.6 GB: the envelope of a forward's answer is bounded where its tensors travel outside it.
    func testHugeJSONAnswerIsRefusedFromItsHeaderUnderTheEnvelopeLimit() throws {
        for transports: [TensorTransport] in [[.sharedMemory], [.binary]] {
            let c = try PluginConnection(
                package: try TestPlugins.locator.locate(name: "huge-json", role: .encoder), role: .encoder,
                limits: limits(callTimeout: 20), sandbox: TestPlugins.sandbox)
            defer { c.shutdown() }
            try c.initialize(transports: transports)
            try configure(c)
            let rssBefore = peakRSSBytes()
            let error = try failure(of: forward(c))
            guard case .protocolViolation(_, _, let reason) = error else {
                return XCTFail("expected a protocol violation, got \(error)")
            }
            XCTAssertTrue(reason.contains("\(RPCLimits().maxEnvelopeBytes)"), reason)
            XCTAssertLessThan(peakRSSBytes() - rssBefore, 64 << 20, "nothing of the 200 MB is read")
            assertGone(c)
        }
    }

    func testNaNInAResultIsAProtocolViolationUnderBothTransports() throws {
        for transports: [TensorTransport] in [[.binary, .base64], [.base64]] {
            let (c, _) = try connectWithLog("nan-output", limits: limits(callTimeout: 10), transports: transports)
            defer { c.shutdown() }
            XCTAssertEqual(c.info?.transport, transports[0])
            try configure(c)
            let error = try failure(of: forward(c))
            guard case .protocolViolation(_, let during, let reason) = error else {
                XCTFail("\(transports[0]): expected a protocol violation, got \(error)")
                continue
            }
            XCTAssertEqual(during, MethodName.forward)
            XCTAssertTrue(reason.contains("NaN"), "\(transports[0]): \(reason)")
            assertGone(c)
        }
    }

    func testResultWithAnotherRequestIDIsAProtocolViolation() throws {
        let c = try TestPlugins.connect("wrong-id", .encoder, limits: limits(callTimeout: 10))
        defer { c.shutdown() }
        try configure(c)
        let error = try failure(of: forward(c))
        guard case .protocolViolation(_, _, let reason) = error else {
            return XCTFail("expected a protocol violation, got \(error)")
        }
        // initialize is 1, configure 2, forward 3: the fixture answers 4, the next id.
        XCTAssertTrue(reason.contains("id 4") && reason.contains("expected 3"), reason)
        assertGone(c)
        assertStaysFailed(c, with: error)
    }

    func testWronglyShapedResultIsAProtocolViolation() throws {
        let c = try TestPlugins.connect("wrong-shape", .encoder, limits: limits(callTimeout: 10))
        let model = Autoencoder(encoder: c, decoder: nil)
        defer { model.shutdown() }
        try model.configure(windowSize: 8, interfaceSize: 2, seed: 1, encoderParameters: [:], decoderParameters: [:])
        let clock = Stopwatch()
        let batch = Self.input.input
        XCTAssertThrowsError(try model.encode(batch)) { error in
            guard case PluginError.protocolViolation(_, let during, let reason) = error else {
                return XCTFail("expected a protocol violation, got \(error)")
            }
            XCTAssertEqual(during, MethodName.forward)
            XCTAssertTrue(reason.contains("shape") && reason.contains("[2, 3]"), reason)
        }
        XCTAssertLessThan(clock.seconds, 5)
        // Like every other protocol violation, this one must stop the plugin and leave
        // the connection failed; the fixture would answer the next forward correctly.
        assertGone(c)
        XCTAssertThrowsError(try model.encode(batch), "a plugin that broke the protocol must not be used again")
    }

    func testHangIsCutOffByTheCallTimeout() throws {
        let c = try TestPlugins.connect("hang-on-forward", .encoder, limits: limits(callTimeout: 1))
        defer { c.shutdown() }
        try configure(c)
        XCTAssertEqual(
            liveProcesses(running: c.package.executablePath).count, 1, "assertGone's process scan must see a live plugin")
        let clock = Stopwatch()
        let error = try failure(of: forward(c))
        guard case .timedOut(_, let method, let seconds, let detail) = error else {
            return XCTFail("expected a timeout, got \(error)")
        }
        XCTAssertEqual(method, MethodName.forward)
        XCTAssertEqual(seconds, 1)
        XCTAssertTrue(detail.contains("asleep"), "what the plugin was doing meanwhile: \(detail)")
        XCTAssertLessThan(clock.seconds, 5)
        assertGone(c)
    }

    /// A plugin that answers quickly and then stops is cut off after the adaptive limit (20x its
    /// slowest answer, at least `adaptiveFloor`), long before the fixed call timeout.
    func testAHangAfterQuickAnswersIsCutOffByTheAdaptiveLimit() throws {
        var l = limits(callTimeout: 60)
        l.adaptiveFloor = 1
        let c = try TestPlugins.connect("hang-mid-training", .encoder, limits: l)
        defer { c.shutdown() }
        try configure(c, ["crash_after": .number(4)])
        for _ in 0..<3 { _ = try forward(c, training: true).get() }
        let clock = Stopwatch()
        let error = try failure(of: forward(c, training: true))
        guard case .timedOut(_, let method, let seconds, let detail) = error else {
            return XCTFail("expected a timeout, got \(error)")
        }
        XCTAssertEqual(method, MethodName.forward)
        XCTAssertEqual(seconds, 1, "the floor, since the earlier answers took milliseconds")
        XCTAssertTrue(detail.contains("earlier forward calls took at most"), detail)
        XCTAssertLessThan(clock.seconds, 10, "cut off by the adaptive limit, not the 60 s call timeout")
        assertGone(c)
    }

    /// A busy loop that outlasts the call is named as such in the timeout.
    func testASpinningPluginIsReportedAsRunning() throws {
        let c = try TestPlugins.connect("cpu-spin", .encoder, limits: limits(callTimeout: 2))
        defer { c.shutdown() }
        try configure(c)
        let error = try failure(of: forward(c))
        guard case .timedOut(_, _, _, let detail) = error else { return XCTFail("expected a timeout, got \(error)") }
        XCTAssertTrue(detail.contains("running on the CPU"), detail)
        assertGone(c)
    }

    /// A plugin that ran into its memory limit and then went quiet: the timeout says so.
    func testAPluginSilentAtItsMemoryLimitIsReportedAsSuch() throws {
        let c = try TestPlugins.connect(
            "hog-then-hang", .encoder, limits: limits(callTimeout: 5), resources: ResourceLimits(addressSpaceBytes: 512 << 20))
        defer { c.shutdown() }
        try configure(c)
        let error = try failure(of: forward(c))
        guard case .timedOut(_, _, _, let detail) = error else { return XCTFail("expected a timeout, got \(error)") }
        XCTAssertTrue(detail.contains("512.0 MiB address-space limit, so its allocations were failing"), detail)
        assertGone(c)
    }

    func testStderrFloodIsStopped() throws {
        var limits = limits(callTimeout: 30)
        limits.maxStderrBytes = 64 << 10
        let (c, log) = try connectWithLog("stderr-flood", limits: limits)
        defer { c.shutdown() }
        try configure(c)
        let clock = Stopwatch()
        let error = try failure(of: forward(c))
        guard case .limitExceeded(_, let during, let limit) = error else {
            return XCTFail("expected a limit error, got \(error)")
        }
        XCTAssertEqual(during, MethodName.forward)
        XCTAssertTrue(limit.contains("stderr"), limit)
        XCTAssertLessThan(clock.seconds, 10)
        assertGone(c)
        // What was passed on to the log stays near the limit.
        XCTAssertLessThan(log.lines.reduce(0) { $0 + $1.utf8.count }, 2 * limits.maxStderrBytes)
    }

    func testLogNotificationFloodIsStopped() throws {
        let (c, log) = try connectWithLog("log-flood", limits: limits(callTimeout: 30))
        defer { c.shutdown() }
        try configure(c)
        let clock = Stopwatch()
        let error = try failure(of: forward(c))
        guard case .limitExceeded(_, let during, let limit) = error else {
            return XCTFail("expected a limit error, got \(error)")
        }
        XCTAssertEqual(during, MethodName.forward)
        XCTAssertTrue(limit.contains("log notifications"), limit)
        XCTAssertLessThan(clock.seconds, 10)
        assertGone(c)
        // The fixture sends up to 100,000; the coordinator passes on a burst at most.
        XCTAssertLessThan(log.lines.filter { $0.hasPrefix("log-flood") }.count, 1000)
    }

    // MARK: - Attacks on the machine (need the sandbox)

    func testMemoryHogIsStoppedByTheAddressSpaceLimit() throws {
        let rssBefore = peakRSSBytes()
        let c = try TestPlugins.connect(
            "memory-hog", .encoder, limits: limits(callTimeout: 60),
            resources: ResourceLimits(addressSpaceBytes: 512 << 20))
        defer { c.shutdown() }
        try configure(c)
        let clock = Stopwatch()
        let result = forward(c)
        if case .success = result {
            c.shutdown()
            return XCTFail(
                "the attack succeeded: the plugin answered while holding its memory "
                    + "(peak RSS \((c.peakRSSKilobytes ?? 0) >> 10) MiB, limit 512 MiB)")
        }
        let error = try failure(of: result)
        switch error {
        case .crashed, .limitExceeded: break
        default: XCTFail("expected a crash or a limit error, got \(error)")
        }
        XCTAssertLessThan(clock.seconds, 30)
        assertGone(c)
        XCTAssertLessThan(peakRSSBytes() - rssBefore, 256 << 20, "the plugin's memory must not be the coordinator's")
    }

    func testCPUSpinIsStoppedByTheCPUTimeLimit() throws {
        let cpuBefore = childrenCPUSeconds()
        let c = try TestPlugins.connect(
            "cpu-spin", .encoder, limits: limits(callTimeout: 30),
            resources: ResourceLimits(cpuSeconds: 1))
        defer { c.shutdown() }
        try configure(c)
        let clock = Stopwatch()
        let error = try failure(of: forward(c))
        let elapsed = clock.seconds
        switch error {
        case .crashed(_, _, let status, _):
            XCTAssertTrue(status.contains("SIGXCPU") || status.contains("SIGKILL"), status)
        case .limitExceeded: break
        default:
            XCTFail(
                "expected the CPU limit to stop the plugin, got \(error) after \(Int(elapsed)) s; "
                    + "the plugin used \(Int(childrenCPUSeconds() - cpuBefore)) s of CPU")
        }
        XCTAssertLessThan(elapsed, 15, "the CPU limit must act well before the 30 s call timeout")
        assertGone(c)
    }

    func testForkedShellIsStoppedBySeccomp() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let marker = dir.file("fork-shell-was-here")
        let (result, log) = try attack("fork-shell", ["path": .string(marker)])
        XCTAssertFalse(FileManager.default.fileExists(atPath: marker), "the forked shell created \(marker); stderr: \(log.lines)")
        let error = try failure(of: result, log: log)
        guard case .sandboxViolation(_, let during, let syscall) = error else {
            return XCTFail("expected a sandbox violation, got \(error)")
        }
        XCTAssertEqual(during, MethodName.forward)
        XCTAssertTrue(["clone", "fork", "vfork"].contains { syscall.contains($0) }, syscall)
    }

    func testExecOfAShellIsRefused() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let marker = dir.file("exec-shell-was-here")
        let (result, log) = try attack("exec-shell", ["path": .string(marker)])
        XCTAssertFalse(FileManager.default.fileExists(atPath: marker), "the exec'd shell created \(marker); result: \(result)")
        assertRefused(result, log: log, syscalls: ["execve"], report: "exec-shell: blocked")
    }

    func testTCPConnectionToTheHostNeverArrives() throws {
        let listener = try Listener()
        let (result, log) = try attack("tcp-connect", ["port": .number(Double(listener.port))])
        if let received = listener.takeConnection() {
            XCTFail("the plugin reached 127.0.0.1:\(listener.port) and sent \"\(received)\"; stderr: \(log.lines)")
        }
        assertRefused(result, log: log, syscalls: ["socket"], report: "tcp-connect: failed")
    }

    func testSecretOutsideThePluginsViewIsNotRead() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let (secret, path) = try plantSecret(in: dir)
        let (result, log) = try attack("read-secret", ["path": .string(path)])
        XCTAssertEqual(log.lines.filter { $0.contains(secret) }, [], "the plugin read the secret and leaked it")
        if case .failure(let error) = result { XCTAssertFalse("\(error)".contains(secret), "\(error)") }
        assertRefused(result, log: log, syscalls: ["open"], report: "read-secret: denied")
    }

    func testFileOutsideTheWorkingDirectoryIsNotWritten() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let target = dir.file("written-by-plugin")
        let (result, log) = try attack("write-file", ["path": .string(target)])
        XCTAssertFalse(FileManager.default.fileExists(atPath: target), "the plugin created \(target); stderr: \(log.lines)")
        assertRefused(result, log: log, syscalls: ["open"], report: "write-file: denied")
    }

    /// The control experiment: unconfined, the attacks on the machine succeed. It proves
    /// that the fixtures really attack, so the tests above cannot pass because one did nothing.
    /// (`memory-hog` and `cpu-spin` are left out: unconfined they take 4 GiB or 30 s of CPU.)
    func testMachineAttacksSucceedWithoutTheSandbox() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        for name in ["fork-shell", "exec-shell"] {
            let marker = dir.file(name + "-was-here")
            let (result, _) = try attack(name, ["path": .string(marker)], sandboxed: false)
            XCTAssertTrue(FileManager.default.fileExists(atPath: marker), "\(name): no marker; result: \(result)")
        }
        let listener = try Listener()
        let (connected, connectLog) = try attack("tcp-connect", ["port": .number(Double(listener.port))], sandboxed: false)
        XCTAssertEqual(listener.takeConnection(), "leak", "tcp-connect: \(connected), \(connectLog.lines)")

        let (secret, path) = try plantSecret(in: dir)
        let (_, readLog) = try attack("read-secret", ["path": .string(path)], sandboxed: false)
        XCTAssertEqual(
            readLog.lines.filter { $0.contains(secret) }.count, 2, "on stderr and in a log notification: \(readLog.lines)")

        let target = dir.file("written-by-plugin")
        _ = try attack("write-file", ["path": .string(target)], sandboxed: false)
        XCTAssertTrue(FileManager.default.fileExists(atPath: target))
    }

    // MARK: - Helpers

    private static let input = ForwardParams(
        input: Tensor(rows: 2, cols: 8, values: (0..<16).map { Float($0) / 16 }), training: false)

    /// One attack on the machine: start the fixture (confined unless `sandboxed` is false),
    /// configure it, make one forward call (the attack), shut it down. Confined, the coordinator
    /// must have its answer within 10 s and no process of the plugin may be left.
    private func attack(
        _ name: String, _ parameters: [String: JSONValue], sandboxed: Bool = true,
        file: StaticString = #filePath, line: UInt = #line
    ) throws -> (Result<ForwardResult, any Error>, LogLines) {
        let (c, log) = try connectWithLog(name, limits: sandboxed ? RPCLimits() : limits(callTimeout: 10), sandboxed: sandboxed)
        defer { c.shutdown() }
        XCTAssertEqual(c.isSandboxed, sandboxed, file: file, line: line)
        try configure(c, parameters)
        let clock = Stopwatch()
        let result = forward(c)
        c.shutdown()  // waits for the end of stderr, so every line is in the log
        if sandboxed {
            XCTAssertLessThan(clock.seconds, 10, file: file, line: line)
            assertGone(c, file: file, line: line)
        }
        return (result, log)
    }

    /// A 0600 file outside the plugin's view holding a fresh secret: (secret, path).
    private func plantSecret(in dir: TemporaryDirectory) throws -> (String, String) {
        let secret = "fe-secret-\(UUID().uuidString)"
        let path = dir.file("secret.txt")
        XCTAssertTrue(
            FileManager.default.createFile(atPath: path, contents: Data(secret.utf8), attributes: [.posixPermissions: 0o600]))
        return (secret, path)
    }

    private func limits(callTimeout: Double) -> RPCLimits {
        var limits = RPCLimits()
        limits.callTimeout = callTimeout
        return limits
    }

    /// A started, handshaken encoder whose stderr lines and `log` notifications are collected;
    /// confined like `TestPlugins.connect` unless `sandboxed` is false.
    private func connectWithLog(
        _ name: String, limits: RPCLimits = RPCLimits(), transports: [TensorTransport] = [.binary, .base64],
        sandboxed: Bool = true
    ) throws -> (PluginConnection, LogLines) {
        let log = LogLines()
        let c = try PluginConnection(
            package: try TestPlugins.locator.locate(name: name, role: .encoder), role: .encoder,
            limits: limits, sandbox: sandboxed ? TestPlugins.sandbox(nil) : nil,
            onLog: { log.append($0.message) })
        try c.initialize(transports: transports)
        return (c, log)
    }

    /// `configure` for windows of 8 and features of 2; the fixtures take `path` and `port`.
    private func configure(_ c: PluginConnection, _ parameters: [String: JSONValue] = [:]) throws {
        _ = try c.call(
            MethodName.configure, ConfigureParams(inputShape: [8], outputShape: [2], seed: 1, parameters: parameters),
            as: ConfigureResult.self)
    }

    /// The first forward, where every fixture attacks.
    private func forward(_ c: PluginConnection, training: Bool = false) -> Result<ForwardResult, any Error> {
        var input = Self.input
        input.training = training
        return Result { try c.call(MethodName.forward, input, as: ForwardResult.self) }
    }

    /// The `PluginError` the attack should have ended in; a normal answer means it succeeded.
    private func failure(
        of result: Result<ForwardResult, any Error>, log: LogLines? = nil,
        file: StaticString = #filePath, line: UInt = #line
    ) throws -> PluginError {
        switch result {
        case .success(let answer):
            let stderr = log.map { "; the plugin's stderr: \($0.lines.suffix(5))" } ?? ""
            throw AttackSucceeded(
                description: "the attack succeeded: forward answered with shape \(answer.output.shape)\(stderr)")
        case .failure(let error):
            return try XCTUnwrap(error as? PluginError, "not a PluginError: \(error)", file: file, line: line)
        }
    }

    /// A refused attack: the sandbox killed the plugin for one of `syscalls`, or the
    /// plugin reported the refusal (`report` on stderr) and answered normally.
    private func assertRefused(
        _ result: Result<ForwardResult, any Error>, log: LogLines, syscalls: [String], report: String,
        file: StaticString = #filePath, line: UInt = #line
    ) {
        switch result {
        case .success(let answer):
            XCTAssertEqual(answer.output.shape, [2, 2], file: file, line: line)
            XCTAssertTrue(
                log.lines.contains { $0.contains(report) },
                "the plugin did not report \"\(report)\"; its stderr: \(log.lines)", file: file, line: line)
        case .failure(let error):
            guard case PluginError.sandboxViolation(_, _, let syscall) = error, syscalls.contains(where: syscall.contains) else {
                return XCTFail(
                    "expected a refusal (\"\(report)\") or a sandbox violation on \(syscalls), got \(error)", file: file,
                    line: line)
            }
        }
    }

    /// The process the coordinator started is gone, and so is the plugin itself: under the
    /// sandbox that is a child of the launcher, so no live process may still run its executable
    /// (its kill is asynchronous: allow it two seconds).
    private func assertGone(_ c: PluginConnection, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(kill(c.processID, 0), -1, "plugin process \(c.processID) is still running", file: file, line: line)
        let deadline = Date().addingTimeInterval(2)
        var survivors = liveProcesses(running: c.package.executablePath)
        while !survivors.isEmpty && Date() < deadline {
            usleep(20_000)
            survivors = liveProcesses(running: c.package.executablePath)
        }
        XCTAssertEqual(survivors, [], "processes still running \(c.package.executablePath)", file: file, line: line)
    }

    /// Pids whose command line starts with `executable` (a zombie's command line is empty).
    private func liveProcesses(running executable: String) -> [Int32] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.compactMap(Int32.init).filter { pid in
            guard let cmdline = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline"),
                let first = cmdline.split(separator: 0).first
            else { return false }
            return String(decoding: first, as: UTF8.self) == executable
        }
    }

    /// Later calls fail at once with the first error instead of talking to the plugin again.
    private func assertStaysFailed(
        _ c: PluginConnection, with first: PluginError, file: StaticString = #filePath, line: UInt = #line
    ) {
        XCTAssertThrowsError(try c.call(MethodName.forward, Self.input, as: ForwardResult.self), file: file, line: line) {
            XCTAssertEqual($0 as? PluginError, first, file: file, line: line)
        }
    }

    private func peakRSSBytes() -> Int {
        var usage = rusage()
        getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
        return usage.ru_maxrss * 1024
    }

    /// CPU time of the children this process has reaped (the plugins).
    private func childrenCPUSeconds() -> Double {
        var usage = rusage()
        getrusage(__rusage_who_t(RUSAGE_CHILDREN.rawValue), &usage)
        return Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec)
            / 1e6
    }
}

/// Lines a plugin wrote to stderr or sent as `log` notifications (from the stderr thread too).
private final class LogLines: @unchecked Sendable {
    private let lock = NSLock()
    private var storage: [String] = []

    func append(_ line: String) {
        lock.lock()
        storage.append(line)
        lock.unlock()
    }

    var lines: [String] {
        lock.lock()
        defer { lock.unlock() }
        return storage
    }
}

private struct AttackSucceeded: Error, CustomStringConvertible {
    var description: String
}

private struct Stopwatch {
    private let start = Date()
    var seconds: Double { Date().timeIntervalSince(start) }
}

/// A TCP listener on 127.0.0.1 (an ephemeral port) that a plugin must never reach.
private final class Listener {
    let fd: Int32
    let port: Int

    init() throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw POSIXError(.init(rawValue: errno) ?? .EIO) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = in_addr_t(UInt32(0x7F00_0001).bigEndian)
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let ok = withUnsafeMutablePointer(to: &address) { p in
            p.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, length) == 0 && listen(fd, 8) == 0 && getsockname(fd, $0, &length) == 0
            }
        }
        guard ok, fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) == 0 else {
            let e = errno
            close(fd)
            throw POSIXError(.init(rawValue: e) ?? .EIO)
        }
        self.fd = fd
        port = Int(UInt16(bigEndian: address.sin_port))
    }

    /// What the first connection that reached the listener sent, or nil if none did.
    func takeConnection() -> String? {
        let s = accept(fd, nil, nil)
        guard s >= 0 else { return nil }
        defer { close(s) }
        var p = pollfd(fd: s, events: Int16(POLLIN), revents: 0)
        _ = poll(&p, 1, 1000)
        var buffer = [UInt8](repeating: 0, count: 256)
        let n = buffer.withUnsafeMutableBytes { recv(s, $0.baseAddress!, $0.count, Int32(MSG_DONTWAIT)) }
        return String(decoding: buffer[0..<max(n, 0)], as: UTF8.self)
    }

    deinit { close(fd) }
}
