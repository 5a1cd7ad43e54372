import Foundation
import TestSupport
import XCTest

/// A coordinator killed by any signal, SIGKILL included, takes its plugins with it, even one
/// that ignores signals and end of input; their working directories go at the next start.
final class CLICoordinatorDeathTests: XCTestCase {
    func testPluginsDieWithAKilledCoordinatorAndTheirDirectoriesGoAtTheNextStart() throws {
        try killCoordinatorMidCall(extraArguments: [])
    }

    /// Unconfined plugins still run under the launcher's supervisor, which takes them along.
    func testUnsandboxedPluginsDieWithAKilledCoordinatorToo() throws {
        try killCoordinatorMidCall(extraArguments: ["--no-sandbox"])
    }

    private func killCoordinatorMidCall(extraArguments: [String]) throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let cli = Process()
        cli.executableURL = URL(fileURLWithPath: BuiltProducts.executable("feature-extractor"))
        cli.arguments =
            [
                BuiltProducts.sample("eurusd_1h_d1.csv"), "--columns", "CLOSE", "--max-steps", "1500", "--window-size", "32",
                "--initial-size", "4", "--epochs", "1", "--encoder-plugin", "hang-on-forward", "--output-file", dir.file("f.csv"),
            ] + extraArguments
        var env = ProcessInfo.processInfo.environment
        env["FEATURE_EXTRACTOR_PLUGINS"] = TestPlugins.directory
        env["FEATURE_EXTRACTOR_POLICY"] = BuiltProducts.repositoryRoot.appendingPathComponent("Policies").path
        env["FEATURE_EXTRACTOR_HOME"] = TestPlugins.home
        env["TMPDIR"] = dir.path
        cli.environment = env
        cli.standardOutput = FileHandle.nullDevice
        cli.standardError = FileHandle.nullDevice
        try cli.run()
        // Both plugins started (a launcher and its plugin each), and the encoder hangs in its first forward.
        var plugins: [pid_t] = []
        let deadline = Date().addingTimeInterval(30)
        while Date() < deadline {
            plugins = Self.descendants(of: cli.processIdentifier)
            if plugins.filter({ Self.commandLine($0).contains("hang-on-forward") }).count == 2, plugins.count >= 4 { break }
            usleep(50_000)
        }
        XCTAssertEqual(plugins.filter { Self.commandLine($0).contains("hang-on-forward") }.count, 2, "launcher and plugin")
        usleep(500_000)  // into the forward that never returns
        kill(cli.processIdentifier, SIGKILL)
        cli.waitUntilExit()
        let gone = Date().addingTimeInterval(5)
        while Date() < gone && plugins.contains(where: Self.isRunning) { usleep(20_000) }
        XCTAssertEqual(plugins.filter(Self.isRunning), [], "no launcher or plugin outlives its coordinator")
        XCTAssertFalse(Self.workingDirectories(in: dir).isEmpty, "a killed coordinator cannot remove them itself")

        let next = try CommandRunner.run(
            ["plugin", "startup-time", "encoder", "ann", "--repeat", "1"], environment: ["TMPDIR": dir.path])
        XCTAssertEqual(next.status, 0, next.stderr)
        XCTAssertEqual(Self.workingDirectories(in: dir), [], "the next coordinator removed the abandoned ones")
    }

    private static func workingDirectories(in dir: TemporaryDirectory) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? []).filter { $0.hasPrefix("fe-plugin-") }
    }

    /// Every process below `root`, from /proc (parent links).
    private static func descendants(of root: pid_t) -> [pid_t] {
        var parent: [pid_t: pid_t] = [:]
        for name in (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? [] {
            guard let pid = pid_t(name), let stat = try? String(contentsOfFile: "/proc/\(name)/stat", encoding: .utf8),
                let close = stat.lastIndex(of: ")")
            else { continue }
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            if fields.count > 1, let ppid = pid_t(fields[1]) { parent[pid] = ppid }
        }
        return parent.keys.filter { pid in
            var p = parent[pid]
            while let q = p, q > 1 {
                if q == root { return true }
                p = parent[q]
            }
            return false
        }.sorted()
    }

    private static func commandLine(_ pid: pid_t) -> String {
        let bytes = (try? Data(contentsOf: URL(fileURLWithPath: "/proc/\(pid)/cmdline"))) ?? Data()
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Alive and not a zombie waiting for its new parent to reap it.
    private static func isRunning(_ pid: pid_t) -> Bool {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8), let close = stat.lastIndex(of: ")")
        else { return false }
        return !stat[stat.index(after: close)...].hasPrefix(" Z")
    }
}
