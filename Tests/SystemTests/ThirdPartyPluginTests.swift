import Foundation
import TestSupport
import XCTest

/// A plugin from outside the repository: examples/swift-plugin depends on this checkout the way
/// a third party depends on feature-extractor (the PluginKit product and the
/// ManifestIdentity build plugin), is installed with the CLI and must pass `plugin check`.
/// Fails when the products stop being usable from another package: a product removed or renamed,
/// an API the example needs made internal, the build plugin broken.
final class ThirdPartyPluginTests: XCTestCase {
    private var dir: TemporaryDirectory!

    override func setUpWithError() throws { dir = try TemporaryDirectory() }
    override func tearDown() { dir.remove() }

    private let example = BuiltProducts.repositoryRoot.appendingPathComponent("examples/swift-plugin").path

    func testExamplePackageBuildsAgainstTheProductsAndPassesPluginCheck() throws {
        guard let swift = Self.onPath("swift") else {
            throw XCTSkip("swift is not on PATH: the example package cannot be built")
        }
        // A fresh build directory each time: SwiftPM does not notice a source file added to a
        // path dependency in a build directory it planned before, so a reused one can fail (or
        // pass) on stale sources. A debug build of the SDK chain, about 40 s on 2 cores.
        let scratch = ["--package-path", example, "--scratch-path", dir.file("example-build")]
        let build = try Self.run(swift, ["build"] + scratch + ["--product", "acme-linear-encoder"])
        XCTAssertEqual(build.status, 0, "the example no longer builds against the products:\n\(build.output)")
        let binPath = try Self.run(swift, ["build"] + scratch + ["--show-bin-path"])
        XCTAssertEqual(binPath.status, 0, binPath.output)
        let executable = (binPath.output.split(separator: "\n").last.map(String.init) ?? "") + "/acme-linear-encoder"
        XCTAssertTrue(FileManager.default.isExecutableFile(atPath: executable), "no \(executable): \(binPath.output)")

        // Installed and checked with the CLI alone, under a publisher key of its own.
        let env = ["FEATURE_EXTRACTOR_HOME": dir.file("home")]
        let key = try CommandRunner.run(
            ["keys", "generate", "--name", "acme", "--out", dir.file("acme.key"), "--trust"], environment: env)
        XCTAssertEqual(key.status, 0, key.stderr)
        let install = try CommandRunner.run(
            [
                "plugin", "install", "--manifest", example + "/Sources/LinearEncoder/plugin.json",
                "--executable", executable, "--into", dir.file("plugins"),
                "--sign-with", dir.file("acme.key"),
            ], environment: env)
        XCTAssertEqual(install.status, 0, install.stderr)
        let check = try CommandRunner.run(["plugin", "check", dir.file("plugins/encoders/acme-linear")], environment: env)
        XCTAssertEqual(check.status, 0, "plugin check failed:\n\(check.stdout)\(check.stderr)")
        XCTAssertTrue(check.stdout.contains("PASS package: encoder acme-linear 1.0.0"), check.stdout)
        // The handshake compares what the running plugin says (ManifestIdentity, generated from
        // plugin.json) with the installed manifest.
        XCTAssertTrue(check.stdout.contains("PASS handshake: encoder 'acme-linear' 1.0.0"), check.stdout)
        XCTAssertFalse(check.stdout.contains("FAIL"), check.stdout)
    }

    func testManifestIdentityToolGeneratesTheIdentityAndNamesTheFieldItRefuses() throws {
        let tool = BuiltProducts.executable("ManifestIdentityTool")
        try XCTSkipUnless(
            FileManager.default.isExecutableFile(atPath: tool), "\(tool) is not built; run `swift build --build-tests` first")
        func generate(_ manifest: String) throws -> (status: Int32, output: String, source: String?) {
            let path = dir.file("plugin.json"), out = dir.file("ManifestIdentity.swift")
            try? FileManager.default.removeItem(atPath: out)
            try manifest.write(toFile: path, atomically: true, encoding: .utf8)
            let r = try Self.run(tool, [path, out])
            return (r.status, r.output, try? String(contentsOfFile: out, encoding: .utf8))
        }

        let good = try generate(#"{"name": "acme-linear", "role": "decoder", "version": "2.10.3", "executable": "x"}"#)
        XCTAssertEqual(good.status, 0, good.output)
        for line in [
            #"static let name = "acme-linear""#, #"static let version = "2.10.3""#, "static let role = PluginRole.decoder",
        ] {
            XCTAssertTrue(good.source?.contains(line) == true, "missing `\(line)` in:\n\(good.source ?? "nothing")")
        }

        // Each refusal fails the build with the manifest's path and the field, in the compiler's shape.
        let bad = [
            (#"{"name": "acme", "role": "encoder"}"#, "field 'version' is missing"),
            (#"{"name": "acme", "role": "encoder", "version": "1.0"}"#, "field 'version' is '1.0'; it must be MAJOR.MINOR.PATCH"),
            (#"{"name": "Acme Linear", "role": "encoder", "version": "1.0.0"}"#, "field 'name' is 'Acme Linear'"),
            (#"{"name": "acme", "role": "both", "version": "1.0.0"}"#, "field 'role' is 'both'; it must be encoder or decoder"),
            (#"{"name": 7, "role": "encoder", "version": "1.0.0"}"#, "field 'name' must be a string"),
            (#"["name", "acme"]"#, "the manifest must be a JSON object"),
            (#"{"name": "acme","#, "the manifest is not valid JSON"),
        ]
        for (manifest, problem) in bad {
            let r = try generate(manifest)
            XCTAssertEqual(r.status, 1, manifest)
            XCTAssertTrue(r.output.contains("\(dir.file("plugin.json")): error: \(problem)"), "\(manifest): \(r.output)")
            XCTAssertNil(r.source, "nothing is generated from a refused manifest")
        }
    }

    // MARK: - Processes other than feature-extractor

    private static func onPath(_ name: String) -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? ""
        return path.split(separator: ":").map { "\($0)/\(name)" }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    /// Runs `executable` to completion (at most `timeout` seconds), stdout and stderr together.
    private static func run(_ executable: String, _ arguments: [String], timeout: TimeInterval = 900) throws -> (
        status: Int32, output: String
    ) {
        let log = try TemporaryDirectory()
        defer { log.remove() }
        FileManager.default.createFile(atPath: log.file("output"), contents: nil)
        let output = try FileHandle(forWritingTo: URL(fileURLWithPath: log.file("output")))
        defer { try? output.close() }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.standardOutput = output
        process.standardError = output
        process.standardInput = FileHandle.nullDevice
        let done = DispatchSemaphore(value: 0)
        process.terminationHandler = { _ in done.signal() }
        try process.run()
        if done.wait(timeout: .now() + timeout) == .timedOut {
            process.terminate()
            process.waitUntilExit()
            XCTFail("\(executable) \(arguments.joined(separator: " ")) did not finish within \(Int(timeout)) s")
        }
        let text = (try? String(contentsOfFile: log.file("output"), encoding: .utf8)) ?? ""
        return (process.terminationStatus, text)
    }
}
