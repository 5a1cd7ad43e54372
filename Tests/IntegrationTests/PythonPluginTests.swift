import Coordinator
import Foundation
import PluginHost
import PluginProtocol
import TestSupport
import XCTest

/// The example plugin written in another language (examples/python-plugin, Python's standard
/// library only, written from docs/PROTOCOL.md): it passes the conformance check and trains
/// end to end through the coordinator, sandboxed, under a policy that allows its interpreter;
/// the shipped policy refuses it with a clear message.
final class PythonPluginTests: XCTestCase {
    override func setUpWithError() throws {
        try XCTSkipUnless(
            FileManager.default.isExecutableFile(atPath: PythonPlugins.interpreter),
            "\(PythonPlugins.interpreter) is missing: the Python example plugin needs python3 (apt-get install python3)")
    }

    func testPairPassesTheConformanceCheck() throws {
        for role in PluginRole.allCases {
            let package = try PythonPlugins.locator.locate(name: "py-linear", role: role)
            let report = ConformanceChecker(package: package, sandbox: PythonPlugins.sandbox).run()
            XCTAssertEqual(report.items.map(\.name), ConformanceChecker.itemNames)
            XCTAssertTrue(report.passed, "\(role):\n\(report)")
        }
    }

    func testCoordinatorTrainsItEndToEndAndBeatsTheWindowMeanBaseline() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        var c = RunConfiguration()
        c.inputFile = BuiltProducts.sample("eurusd_1h_d1.csv")
        c.columns = ["CLOSE"]
        c.maxSteps = 2000
        c.windowSize = 16
        c.initialSize = 4
        c.epochs = 10
        c.batchSize = 32
        c.learningRate = 0.03
        c.encoderPlugin = "py-linear"
        c.decoderPlugin = "py-linear"
        c.outputFile = dir.file("features.csv")
        c.evaluateDecoder = dir.file("reconstruction.csv")
        let summary = try FeatureExtractionRun(config: c, environment: PythonPlugins.environment()).run()

        XCTAssertEqual(summary.encoder.name, "py-linear")
        XCTAssertEqual(summary.decoder?.name, "py-linear")
        XCTAssertEqual(summary.encoder.parameters["learning_rate"], .number(0.03), "the run-wide rate reaches the plugin")
        XCTAssertEqual(
            summary.encoder.debugInfo["steps"].flatMap(\.intValue), summary.decoder?.debugInfo["steps"].flatMap(\.intValue))
        let epochs = try XCTUnwrap(summary.training.last?.epochs)
        let first = try XCTUnwrap(epochs.first?.validationMSE), last = try XCTUnwrap(summary.training.last?.validationMSE)
        XCTAssertLessThan(last, first / 2, "training must reduce the error: \(epochs.map(\.validationMSE))")
        let metrics = try XCTUnwrap(summary.metrics.first)
        XCTAssertLessThan(
            metrics.windowMSE, metrics.baselineWindowMeanMSE,
            "the linear autoencoder must beat reconstructing each window by its mean")
        XCTAssertEqual(dir.contents(), ["features.csv", "reconstruction.csv"])
    }

    func testShippedPolicyRefusesTheInterpreterWithAClearMessage() throws {
        XCTAssertEqual(TestPlugins.sandbox.policy.interpreters, [], "the shipped policy allows no interpreter")
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        var env = PythonPlugins.environment()
        env.sandbox = TestPlugins.sandbox
        var c = RunConfiguration()
        c.inputFile = BuiltProducts.sample("eurusd_1h_d1.csv")
        c.columns = ["CLOSE"]
        c.maxSteps = 500
        c.windowSize = 16
        c.initialSize = 4
        c.epochs = 1
        c.encoderPlugin = "py-linear"
        c.decoderPlugin = "py-linear"
        c.outputFile = dir.file("features.csv")
        let workingDirectories = Self.pluginWorkingDirectories()
        XCTAssertThrowsError(try FeatureExtractionRun(config: c, environment: env).run()) { error in
            guard case PluginError.refused(let path, let reason) = error else {
                return XCTFail("expected a refusal, got \(error)")
            }
            XCTAssertTrue(path.hasSuffix("/encoders/py-linear/plugin.json"), path)
            XCTAssertTrue(
                reason.contains("asks to run under the interpreter /usr/bin/python3")
                    && reason.contains("allows no interpreters") && reason.contains("\"allow_interpreters\""), reason)
        }
        XCTAssertEqual(dir.contents(), [], "a refused run writes nothing")
        XCTAssertEqual(Self.pluginWorkingDirectories(), workingDirectories, "nor leaves a working directory with a staged script")

        // The command says so too, once, with the plugin exit code, the policy file and the command that fixes it.
        let r = try CommandRunner.run(["plugin", "check", PythonPlugins.directory + "/decoders/py-linear"])
        XCTAssertEqual(r.status, 69, r.stdout + r.stderr)
        XCTAssertTrue(r.stdout.contains("FAIL sandbox policy: ") && r.stdout.contains("allows no interpreters"), r.stdout)
        XCTAssertEqual(r.stdout.components(separatedBy: "allows no interpreters").count, 2, "said once: \(r.stdout)")
        XCTAssertFalse(r.stdout.contains("FAIL handshake"), r.stdout)
        let shipped = BuiltProducts.repositoryRoot.appendingPathComponent("Policies").path
        XCTAssertTrue(r.stdout.contains("sandbox policy \(shipped)/sandbox-policy.json allows no interpreters"), r.stdout)
    }

    /// The refusal's command, run as the operator would, is what makes the plugin start.
    func testTheCommandTheRefusalNamesGrantsWhatThePluginNeeds() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        try FileManager.default.copyItem(
            atPath: BuiltProducts.repositoryRoot.appendingPathComponent("Policies").path, toPath: dir.file("policy"))
        let package = PythonPlugins.directory + "/encoders/py-linear"
        let refused = try CommandRunner.run(["plugin", "check", package, "--sandbox-policy", dir.file("policy")])
        XCTAssertEqual(refused.status, 69, refused.stdout)
        let marker = "An operator who accepts it runs: "
        let command = try XCTUnwrap(refused.stdout.components(separatedBy: marker).dropFirst().first, refused.stdout)
            .split(separator: "\n")[0]
        XCTAssertTrue(command.hasPrefix("feature-extractor policy allow-interpreter /usr/bin/python3 "), String(command))
        XCTAssertTrue(command.hasSuffix("--sandbox-policy \(dir.file("policy"))"), String(command))

        let shell = Process()
        shell.executableURL = URL(fileURLWithPath: "/bin/sh")
        shell.arguments = ["-c", "\"$FE\" " + command.dropFirst("feature-extractor ".count)]
        shell.environment = ProcessInfo.processInfo.environment.merging(
            ["FE": BuiltProducts.executable("feature-extractor"), "FEATURE_EXTRACTOR_HOME": TestPlugins.home]) { $1 }
        try shell.run()
        shell.waitUntilExit()
        XCTAssertEqual(shell.terminationStatus, 0)

        let passed = try CommandRunner.run(["plugin", "check", package, "--sandbox-policy", dir.file("policy")])
        XCTAssertEqual(passed.status, 0, passed.stdout + passed.stderr)
        XCTAssertTrue(passed.stdout.contains("PASS handshake"), passed.stdout)
    }

    /// The plugins' working directories in the temporary directory (`fe-plugin-*`).
    static func pluginWorkingDirectories() -> Set<String> {
        Set(
            ((try? FileManager.default.contentsOfDirectory(atPath: NSTemporaryDirectory())) ?? []).filter {
                $0.hasPrefix("fe-plugin-")
            })
    }

    /// The interpreter runs a private copy of the bytes whose digest was checked at launch,
    /// not the installed file: a script swapped after the package was located is refused.
    func testAScriptSwappedAfterItWasLocatedIsRefusedAtLaunch() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let plugins = dir.file("plugins")
        try PythonPlugins.install(role: .encoder, into: plugins)
        let located = try PluginLocator(directories: [plugins], verification: TestPlugins.verification).locate(
            name: "py-linear", role: .encoder)
        let original = try Data(contentsOf: URL(fileURLWithPath: located.executablePath))

        try Data("import sys\nsys.stdout.write('garbage')\n".utf8).write(to: URL(fileURLWithPath: located.executablePath))
        XCTAssertThrowsError(try PluginConnection(package: located, role: .encoder, sandbox: PythonPlugins.sandbox)) { error in
            guard case PluginError.digestMismatch = error else { return XCTFail("expected a digest mismatch, got \(error)") }
        }
        try original.write(to: URL(fileURLWithPath: located.executablePath))
        let restored = try PluginConnection(package: located, role: .encoder, sandbox: PythonPlugins.sandbox)
        defer { restored.shutdown() }
        XCTAssertNoThrow(try restored.initialize(), "the restored script runs again")
    }

    func testPolicyBoundsWhatTheManifestMayAsk() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let cases: [(String, (inout [String: Any]) -> Void, String)] = [
            (
                "a read path outside the grant", { $0["read_paths"] = ["/usr/lib/python3*", "/etc"] },
                "asks to read /etc, which the sandbox policy \(PythonPlugins.sandbox.policy.path!) does not grant"
            ),
            ("a system call outside the grant", { $0["syscalls"] = ["sysinfo", "socket"] }, "asks for the system call 'socket'"),
            (
                "another interpreter", { $0["interpreter"] = "/bin/sh" },
                "/bin/sh, which is not among the interpreters the sandbox policy \(PythonPlugins.sandbox.policy.path!) allows"
            ),
        ]
        for (index, (what, change, message)) in cases.enumerated() {
            let plugins = dir.file("p\(index)")
            let package = try PythonPlugins.install(role: .encoder, into: plugins, changingSandbox: change)
            let located = try PluginLocator(directories: [plugins], verification: TestPlugins.verification).locate(
                name: "py-linear", role: .encoder)
            XCTAssertEqual(located.directory, package)
            XCTAssertThrowsError(try PluginConnection(package: located, role: .encoder, sandbox: PythonPlugins.sandbox), what) {
                error in
                guard case PluginError.refused(_, let reason) = error else {
                    return XCTFail("\(what): expected a refusal, got \(error)")
                }
                XCTAssertTrue(reason.contains(message), "\(what): \(reason)")
                XCTAssertTrue(
                    reason.contains("An operator who accepts it runs: feature-extractor policy allow-interpreter "),
                    "\(what): the refusal names the command that grants it: \(reason)")
            }
        }
    }
}

/// The Python example installed as users install plugins (signed with the test key), and a
/// copy of the shipped policy whose operator allows python3 with what CPython needs.
enum PythonPlugins {
    static let interpreter = "/usr/bin/python3"
    static var source: String { BuiltProducts.repositoryRoot.path + "/examples/python-plugin" }

    static let directory: String = {
        let dir = ProcessScratch.directory("fe-test-python-plugins")
        do {
            for role in PluginRole.allCases { try install(role: role, into: dir) }
        } catch {
            preconditionFailure("cannot install the Python example plugin: \(error)")
        }
        return dir
    }()

    /// Installs one role, its manifest's `sandbox` request changed by `change` first.
    @discardableResult
    static func install(role: PluginRole, into dir: String, changingSandbox change: ((inout [String: Any]) -> Void)? = nil) throws
        -> String
    {
        var template = "\(source)/\(role.rawValue)/plugin.json"
        if let change {
            var manifest = try XCTUnwrap(
                JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: template))) as? [String: Any])
            var sandbox = manifest["sandbox"] as? [String: Any] ?? [:]
            change(&sandbox)
            manifest["sandbox"] = sandbox
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            template = dir + "/template-\(role.rawValue).json"
            try JSONSerialization.data(withJSONObject: manifest).write(to: URL(fileURLWithPath: template))
        }
        return try PluginInstaller.install(
            manifestTemplate: template, executable: "\(source)/py_linear.py", into: dir,
            signingKey: TestPlugins.signingKey)
    }

    static var locator: PluginLocator { PluginLocator(directories: [directory], verification: TestPlugins.verification) }

    /// The shipped policy plus an operator's grant for python3.
    static let sandbox: SandboxSettings = {
        let dir = ProcessScratch.directory("fe-test-python-policy")
        do {
            try FileManager.default.copyItem(
                atPath: BuiltProducts.repositoryRoot.appendingPathComponent("Policies").path, toPath: dir)
            let file = URL(fileURLWithPath: dir + "/" + SandboxPolicy.fileName)
            var policy = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: file)) as? [String: Any])
            policy["allow_interpreters"] = [
                [
                    "path": interpreter,
                    "read_paths": ["/usr/lib/python3*", "/usr/local/lib/python3*"],
                    "syscalls": ["sysinfo", "getdents64", "ioctl:1=0x5451"],
                ]
            ]
            try JSONSerialization.data(withJSONObject: policy).write(to: file)
            return try SandboxSettings.load(policyDirectory: dir, launcher: BuiltProducts.executable("fe-sandbox"))
        } catch {
            preconditionFailure("cannot make the interpreter-allowing policy: \(error)")
        }
    }()

    /// The tests' run environment with the Python plugins and the interpreter-allowing policy.
    static func environment() -> RunEnvironment {
        var env = TestPlugins.environment()
        env.pluginDirectories = [directory]
        env.sandbox = sandbox
        return env
    }
}

/// The policy and manifest formats of interpreted plugins (no Python needed).
final class InterpreterPolicyTests: XCTestCase {
    private func policy(_ allowInterpreters: String) throws -> SandboxPolicy {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        try FileManager.default.copyItem(
            atPath: BuiltProducts.repositoryRoot.appendingPathComponent("Policies").path, toPath: dir.file("p"))
        let path = dir.file("p/" + SandboxPolicy.fileName)
        let text = try String(contentsOfFile: path, encoding: .utf8)
            .replacingOccurrences(of: #""allow_interpreters": []"#, with: #""allow_interpreters": \#(allowInterpreters)"#)
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return try SandboxPolicy.load(directory: dir.file("p"))
    }

    func testPolicyEntriesArePathsOrGrants() throws {
        XCTAssertEqual(try policy(#"["/usr/bin/python3"]"#).interpreters, [InterpreterGrant(path: "/usr/bin/python3")])
        XCTAssertEqual(
            try policy(#"[{"path": "/usr/bin/perl", "read_paths": ["/usr/share/perl*"], "syscalls": ["sysinfo"]}]"#).interpreters,
            [InterpreterGrant(path: "/usr/bin/perl", readPaths: ["/usr/share/perl*"], syscalls: ["sysinfo"])])
        for (bad, message) in [
            (#"["python3"]"#, "'python3' must be an absolute path"),
            (#"[{"path": "/usr/bin/python3", "read_paths": ["/usr/../etc"]}]"#, "read path '/usr/../etc'"),
            (#"[{"path": "/usr/bin/python3", "syscalls": ["socket; rm"]}]"#, "syscall 'socket; rm'"),
        ] {
            XCTAssertThrowsError(try policy(bad), bad) { error in
                XCTAssertTrue("\(error)".contains("allow_interpreters") && "\(error)".contains(message), "\(error)")
            }
        }
    }

    func testManifestRequestIsChecked() throws {
        func manifest(_ sandbox: String) throws -> PluginManifest {
            try PluginManifest.parse(
                Data(
                    """
                    {"schema_version": 1, "name": "x", "role": "encoder", "version": "1.0.0", "description": "",
                     "protocol": {"min": 1, "max": 1}, "executable": "x.py", "sandbox": \(sandbox)}
                    """.utf8), source: "plugin.json")
        }
        XCTAssertEqual(
            try manifest(#"{"interpreter": "/usr/bin/python3", "arguments": ["-I"]}"#).sandbox,
            SandboxRequest(interpreter: "/usr/bin/python3", arguments: ["-I"]))
        for (bad, message) in [
            (#"{"interpreter": "python3"}"#, "interpreter 'python3' must be an absolute path"),
            (#"{"interpreter": "/usr/bin/python3", "arguments": ["-c", "import os"]}"#, "arguments must be"),
            (#"{"interpreter": "/usr/bin/python3", "read_paths": ["~/.ssh"]}"#, "read path '~/.ssh'"),
            (#"{"interpreter": "/usr/bin/python3", "syscalls": ["kill:9"]}"#, "syscall 'kill:9'"),
        ] {
            XCTAssertThrowsError(try manifest(bad), bad) { error in
                XCTAssertTrue("\(error)".contains("sandbox: ") && "\(error)".contains(message), "\(error)")
            }
        }
    }
}
