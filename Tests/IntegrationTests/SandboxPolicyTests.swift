import Foundation
import PluginHost
import PluginProtocol
import TestSupport
import XCTest

/// The policy's own rules: limits only tighten, required mechanisms are never
/// silently dropped, and the launcher's refusals reach the operator.
final class SandboxPolicyTests: XCTestCase {
    private var dir: TemporaryDirectory!

    override func setUpWithError() throws { dir = try TemporaryDirectory() }
    override func tearDown() { dir.remove() }

    func testLimitsOnlyTightenWhoeverAsks() {
        let policy = ResourceLimits(addressSpaceBytes: 1000, cpuSeconds: 60, openFiles: 32, fileSizeBytes: 0, processes: 0)
        let greedyPlugin = ResourceLimits(addressSpaceBytes: 5000, cpuSeconds: 10, openFiles: nil, fileSizeBytes: 1 << 30)
        let combined = policy.tightened(by: greedyPlugin)
        XCTAssertEqual(combined.addressSpaceBytes, 1000, "a plugin cannot ask for more memory than the policy gives")
        XCTAssertEqual(combined.fileSizeBytes, 0, "nor for the right to write files")
        XCTAssertEqual(combined.cpuSeconds, 10, "but it can ask for less")
        XCTAssertEqual(combined.openFiles, 32)
        XCTAssertEqual(combined.tightened(by: nil), combined)
    }

    func testManifestLimitsAreAppliedButCannotLoosen() throws {
        var package = try TestPlugins.locator.locate(name: "ann", role: .encoder)
        package.manifest.limits = ResourceLimits(addressSpaceBytes: UInt64.max, cpuSeconds: 5)
        let limits = TestPlugins.sandbox.limits(for: package)
        XCTAssertEqual(limits.addressSpaceBytes, TestPlugins.sandbox.policy.limits.addressSpaceBytes)
        XCTAssertEqual(limits.cpuSeconds, 5)
    }

    func testShippedPolicyIsStrict() throws {
        let policy = TestPlugins.sandbox.policy
        XCTAssertEqual(policy.require, Set(SandboxMechanism.allCases), "the default policy requires every mechanism")
        XCTAssertEqual(policy.limits.fileSizeBytes, 0)
        XCTAssertEqual(policy.limits.processes, 0)
        for forbidden in [
            "socket", "connect", "clone", "clone3", "fork", "vfork", "kill", "ptrace", "unshare", "setrlimit", "mount",
        ] {
            XCTAssertFalse(
                policy.syscalls.contains { $0 == forbidden || $0.hasPrefix(forbidden + ":") }, "\(forbidden) must not be allowed")
        }
        XCTAssertTrue(policy.syscalls.contains("prlimit64:2=0"), "limits may be read, never set")
    }

    func testBrokenPolicyFilesAreRefusedWithTheirLocation() throws {
        try FileManager.default.copyItem(
            atPath: BuiltProducts.repositoryRoot.appendingPathComponent("Policies").path, toPath: dir.file("p"))
        try "read\nwrite\nsocket; rm -rf /\n".write(toFile: dir.file("p/seccomp-allow.txt"), atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try SandboxPolicy.load(directory: dir.file("p"))) { error in
            XCTAssertTrue("\(error)".contains("seccomp-allow.txt:3"), "\(error)")
        }
        let policy = try String(contentsOfFile: dir.file("p/sandbox-policy.json"), encoding: .utf8)
        try policy.replacingOccurrences(of: "\"landlock\"", with: "\"selinux\"").write(
            toFile: dir.file("p/sandbox-policy.json"), atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try SandboxPolicy.load(directory: dir.file("p"))) { error in
            XCTAssertTrue("\(error)".contains("unknown mechanism 'selinux'"), "\(error)")
        }
        XCTAssertThrowsError(try SandboxPolicy.load(directory: dir.file("missing"))) { error in
            XCTAssertTrue("\(error)".contains("cannot be read"), "\(error)")
        }
    }

    /// The launcher writes, reads and closes descriptors after its filter is loaded: a list without
    /// those calls used to hang every launch (the child waited on a notification nobody could take).
    func testAnAllowListWithoutTheLaunchersOwnCallsIsRefusedNotHung() throws {
        try FileManager.default.copyItem(
            atPath: BuiltProducts.repositoryRoot.appendingPathComponent("Policies").path, toPath: dir.file("p"))
        let list = dir.file("p/seccomp-allow.txt")
        let lines = try String(contentsOfFile: list, encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false)
        try lines.filter { $0 != "write" }.joined(separator: "\n").write(toFile: list, atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try SandboxPolicy.load(directory: dir.file("p"))) { error in
            XCTAssertTrue("\(error)".contains("seccomp-allow.txt") && "\(error)".contains("'write' must be allowed"), "\(error)")
        }

        // The launcher refuses such a rule set itself, whoever calls it, instead of hanging.
        let launcher = Process()
        launcher.executableURL = URL(fileURLWithPath: TestPlugins.sandbox.launcher)
        let rules = TestPlugins.sandbox.policy.syscalls.filter { $0 != "write" }
        launcher.arguments = rules.flatMap { ["--allow", $0] } + ["--", "/bin/true"]
        let errors = Pipe()
        launcher.standardError = errors
        try launcher.run()
        let give = Date().addingTimeInterval(10)
        while launcher.isRunning && Date() < give { usleep(10_000) }
        if launcher.isRunning {
            launcher.terminate()
            return XCTFail("the launcher hung on a rule set without 'write'")
        }
        XCTAssertEqual(launcher.terminationStatus, 125)
        let said = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        XCTAssertTrue(said.contains("policy the seccomp allow-list must allow 'write'"), said)
    }

    /// A launcher run under strace with Landlock made to fail, as on a kernel without it.
    private func sandboxWithoutLandlock() throws -> SandboxSettings {
        try sandboxFailing("landlock_create_ruleset", errno: "ENOSYS")
    }

    /// A launcher run under strace with `call` made to fail with `errno`.
    private func sandboxFailing(_ call: String, errno: String) throws -> SandboxSettings {
        guard let strace = ["/usr/bin/strace", "/bin/strace"].first(where: FileManager.default.isExecutableFile(atPath:)) else {
            throw XCTSkip("strace is not installed (apt-get install strace): it simulates a kernel without Landlock")
        }
        let wrapper = dir.file("launcher-failing-\(call)")
        try """
        #!/bin/sh
        exec \(strace) -f -qq -o /dev/null -e trace=\(call) -e inject=\(call):error=\(errno) \(TestPlugins.sandbox.launcher) "$@"
        """.write(toFile: wrapper, atomically: true, encoding: .utf8)
        chmod(wrapper, 0o755)
        var s = TestPlugins.sandbox
        s.launcher = wrapper
        return s
    }

    func testMissingRequiredMechanismRefusesTheLaunch() throws {
        let sandbox = try sandboxWithoutLandlock()
        let c = try PluginConnection(
            package: try TestPlugins.locator.locate(name: "ann", role: .encoder), role: .encoder, sandbox: sandbox)
        defer { c.shutdown() }
        XCTAssertThrowsError(try c.initialize()) { error in
            guard case PluginError.launchFailed(_, let reason) = error else { return XCTFail("\(error)") }
            XCTAssertTrue(reason.contains("requires landlock") && reason.contains("--allow-weaker-sandbox landlock"), reason)
        }
    }

    /// A limit the launcher cannot set is not a mechanism the operator may waive: the refusal
    /// says which and how to lower it, and suggests no `--allow-weaker-sandbox` that would be refused.
    func testALimitTheLauncherCannotSetIsRefusedWithoutAWaiverToTry() throws {
        let sandbox = try sandboxFailing("prlimit64", errno: "EPERM")
        let c = try PluginConnection(
            package: try TestPlugins.locator.locate(name: "ann", role: .encoder), role: .encoder, sandbox: sandbox)
        defer { c.shutdown() }
        XCTAssertThrowsError(try c.initialize()) { error in
            guard case PluginError.launchFailed(_, let reason) = error else { return XCTFail("\(error)") }
            XCTAssertTrue(reason.contains("could not set up rlimit-as") && reason.contains("plugin_limits"), reason)
            XCTAssertFalse(reason.contains("--allow-weaker-sandbox"), reason)
        }
    }

    func testOperatorMayAcceptAWeakerSandboxAndItIsReported() throws {
        var sandbox = try sandboxWithoutLandlock()
        sandbox.allowWeaker = [.landlock]
        let events = EventLog()
        let c = try PluginConnection(
            package: try TestPlugins.locator.locate(name: "ann", role: .encoder), role: .encoder, sandbox: sandbox,
            onLog: { events.append($0.message) })
        defer { c.shutdown() }
        XCTAssertNoThrow(try c.initialize())
        XCTAssertTrue(c.sandboxWeakenings.contains { $0.hasPrefix("landlock") }, "\(c.sandboxWeakenings)")
        XCTAssertTrue(events.all.contains { $0.contains("sandbox runs without landlock") }, "\(events.all)")
    }
}

final class EventLog: @unchecked Sendable {
    private let lock = NSLock()
    private var lines: [String] = []
    func append(_ s: String) { lock.lock(); lines.append(s); lock.unlock() }
    var all: [String] { lock.lock(); defer { lock.unlock() }; return lines }
}
