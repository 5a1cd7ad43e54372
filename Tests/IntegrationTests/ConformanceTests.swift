import Foundation
import PluginHost
import PluginProtocol
import TestSupport
import XCTest

/// `feature-extractor plugin check`: every bundled plugin passes it, through the real
/// sandbox; a plugin with a protocol bug nothing else notices fails it, with the right
/// item named.
final class ConformanceTests: XCTestCase {
    private func check(_ name: String, _ role: PluginRole) throws -> ConformanceReport {
        let package = try TestPlugins.locator.locate(name: name, role: role)
        return ConformanceChecker(package: package, sandbox: TestPlugins.sandbox).run()
    }

    /// The bundled plugins installed for the tests: every package that is not a fixture
    /// (ann today; cnn, lstm and transformer once they are installed there too).
    private var bundled: [(PluginRole, String)] {
        TestPlugins.locator.all().filter { !TestPlugins.fixtures.contains($0.name) }.map { ($0.role, $0.name) }
    }

    func testBundledPluginsPass() throws {
        let plugins = bundled
        XCTAssertTrue(plugins.contains { $0 == (.encoder, "ann") } && plugins.contains { $0 == (.decoder, "ann") }, "\(plugins)")
        for (role, name) in plugins {
            let clock = Date()
            let report = try check(name, role)
            XCTAssertEqual(report.items.map(\.name), ConformanceChecker.itemNames, "\(role) \(name)")
            XCTAssertTrue(report.passed, "\(role) \(name):\n\(report)")
            XCTAssertLessThan(Date().timeIntervalSince(clock), 20, "\(role) \(name): the check should take seconds")
        }
    }

    func testWrongInputGradientFailsTheGradientsItemOnly() throws {
        for role in PluginRole.allCases {
            let report = try check("wrong-gradient", role)
            let item = try XCTUnwrap(report.item("gradients"))
            XCTAssertFalse(item.passed, "\(role):\n\(report)")
            XCTAssertTrue(item.description.hasPrefix("FAIL gradients: "), item.description)
            XCTAssertTrue(item.detail.contains("grad_input") && item.detail.contains("central differences"), item.detail)
            // Twice the gradient is a relative error of 1/2.
            XCTAssertTrue(item.detail.contains("relative error 0.5"), item.detail)
            XCTAssertEqual(report.items.filter { !$0.passed }.map(\.name), ["gradients"], "\(role):\n\(report)")
            XCTAssertFalse(report.passed)
        }
    }

    func testStateThatDoesNotRoundTripFailsTheStateItemOnly() throws {
        let report = try check("state-no-roundtrip", .encoder)
        let item = try XCTUnwrap(report.item("state round trip"))
        XCTAssertFalse(item.passed, "\(report)")
        XCTAssertTrue(item.description.hasPrefix("FAIL state round trip: "), item.description)
        XCTAssertTrue(item.detail.contains("after import_state into a second process"), item.detail)
        XCTAssertEqual(report.items.filter { !$0.passed }.map(\.name), ["state round trip"], "\(report)")
    }

    /// A plugin that declares `step_in_backward` and does not step there is caught, and only there.
    func testAPluginThatClaimsToStepInBackwardAndDoesNotFailsThatItemOnly() throws {
        for role in PluginRole.allCases {
            let report = try check("ignores-step-in-backward", role)
            let item = try XCTUnwrap(report.item("step in backward"))
            XCTAssertFalse(item.passed, "\(role):\n\(report)")
            XCTAssertTrue(item.detail.contains("differs from backward then step"), item.detail)
            XCTAssertEqual(report.items.filter { !$0.passed }.map(\.name), ["step in backward"], "\(role):\n\(report)")
        }
    }

    /// A plugin that declares `row_stride` and reads such an input as if its rows lay back to back
    /// is caught, and only there; the bundled plugins pass it.
    func testAPluginThatMisreadsOverlappingRowsFailsThatItemOnly() throws {
        for role in PluginRole.allCases {
            let report = try check("misreads-row-stride", role)
            let item = try XCTUnwrap(report.item("overlapping rows"))
            XCTAssertFalse(item.passed, "\(role):\n\(report)")
            XCTAssertTrue(item.detail.contains("differs from the same rows sent whole"), item.detail)
            XCTAssertEqual(report.items.filter { !$0.passed }.map(\.name), ["overlapping rows"], "\(role):\n\(report)")
        }
        let bundled = try check("ann", .encoder)
        XCTAssertTrue(try XCTUnwrap(bundled.item("overlapping rows")).detail.contains("bit for bit"), "\(bundled)")
    }

    // MARK: - The command

    func testCommandPrintsOneLinePerItemAndExitsZeroWhenAllPass() throws {
        let r = try CommandRunner.run(["plugin", "check", TestPlugins.directory + "/decoders/ann"])
        XCTAssertEqual(r.status, 0, r.stdout + r.stderr)
        let lines = r.stdout.split(separator: "\n").map(String.init)
        XCTAssertEqual(lines.count, 1 + ConformanceChecker.itemNames.count, r.stdout)
        XCTAssertTrue(lines[0].hasPrefix("PASS package: decoder ann 1.0.0, signed by "), lines[0])
        for (line, name) in zip(lines.dropFirst(), ConformanceChecker.itemNames) {
            XCTAssertTrue(line.hasPrefix("PASS \(name): "), line)
        }
    }

    func testCommandExitsWithThePluginCodeAndNamesTheFailingItem() throws {
        let r = try CommandRunner.run(["plugin", "check", TestPlugins.directory + "/encoders/wrong-gradient"])
        XCTAssertEqual(r.status, 69, r.stdout + r.stderr)
        XCTAssertTrue(r.stdout.contains("\nFAIL gradients: backward's grad_input disagrees"), r.stdout)
        XCTAssertTrue(r.stdout.contains("\nPASS shutdown: "), r.stdout)
    }

    func testCommandRefusesAnUnsignedPackage() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let package = try PluginInstaller.install(
            manifestTemplate: BuiltProducts.repositoryRoot.path + "/Plugins/Encoders/ANN/plugin.json",
            executable: BuiltProducts.executable("fe-encoder-ann"), into: dir.path)
        let r = try CommandRunner.run(["plugin", "check", package])
        XCTAssertEqual(r.status, 69, r.stdout + r.stderr)
        XCTAssertTrue(r.stdout.hasPrefix("FAIL package: ") && r.stdout.contains("is not signed"), r.stdout)
    }
}
