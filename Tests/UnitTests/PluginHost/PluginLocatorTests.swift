import PluginHost
import PluginProtocol
import TestSupport
import XCTest

/// Finding and verifying plugin packages on disk.
final class PluginLocatorTests: XCTestCase {
    private var dir: TemporaryDirectory!

    override func setUpWithError() throws { dir = try TemporaryDirectory() }
    override func tearDown() { dir.remove() }

    /// Installs a tiny "plugin" (a shell script is enough: nothing is run here).
    private func install(name: String = "demo", role: PluginRole = .encoder, manifestName: String? = nil) throws -> String {
        let exe = dir.file("exe")
        try "#!/bin/sh\nexit 0\n".write(toFile: exe, atomically: true, encoding: .utf8)
        let template = dir.file("template.json")
        try """
        {"schema_version": 1, "name": "\(manifestName ?? name)", "role": "\(role.rawValue)", "version": "1.2.3",
         "description": "d", "protocol": {"min": 1, "max": 1}, "executable": "run"}
        """.write(toFile: template, atomically: true, encoding: .utf8)
        return try PluginInstaller.install(manifestTemplate: template, executable: exe, into: dir.file("plugins"))
    }

    func testInstalledPackageIsFoundWithDigestPinned() throws {
        let package = try install()
        let found = try PluginLocator(directories: [dir.file("plugins")], verification: nil).locate(name: "demo", role: .encoder)
        XCTAssertEqual(found.manifest.version, "1.2.3")
        XCTAssertEqual(found.manifest.sha256, try FileDigest.sha256Hex(path: package + "/run"))
        XCTAssertEqual(found.executablePath, package + "/run")
    }

    func testPathLikeNamesNeverReachTheFileSystem() {
        let locator = PluginLocator(directories: [dir.path], verification: nil)
        for name in ["../etc", "/bin/sh", "a/b", "", "UPPER", ".hidden", String(repeating: "a", count: 65)] {
            XCTAssertThrowsError(try locator.locate(name: name, role: .encoder)) { error in
                XCTAssertEqual(error as? PluginError, .invalidName(name))
            }
        }
    }

    func testTamperedExecutableIsRefused() throws {
        let package = try install()
        let handle = try XCTUnwrap(FileHandle(forUpdatingAtPath: package + "/run"))
        try handle.seek(toOffset: 3)
        try handle.write(contentsOf: Data("X".utf8))
        try handle.close()
        XCTAssertThrowsError(
            try PluginLocator(directories: [dir.file("plugins")], verification: nil).locate(name: "demo", role: .encoder)
        ) { error in
            guard case .digestMismatch? = error as? PluginError else { return XCTFail("\(error)") }
        }
    }

    func testManifestNamingAnotherPluginIsRefused() throws {
        let package = try install(name: "demo")
        try FileManager.default.moveItem(atPath: package, toPath: dir.file("plugins/encoders/other"))
        XCTAssertThrowsError(
            try PluginLocator(directories: [dir.file("plugins")], verification: nil).locate(name: "other", role: .encoder)
        ) { error in
            XCTAssertTrue("\(error)".contains("names plugin 'demo'"), "\(error)")
        }
    }

    func testSymlinkEscapingThePluginDirectoryIsRefused() throws {
        _ = try install(name: "real")
        let outside = dir.file("plugins/encoders/real")
        let root = dir.file("other-root")
        try FileManager.default.createDirectory(atPath: root + "/encoders", withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: root + "/encoders/real", withDestinationPath: outside)
        XCTAssertThrowsError(try PluginLocator(directories: [root], verification: nil).locate(name: "real", role: .encoder)) {
            error in
            XCTAssertTrue("\(error)".contains("outside its plugin directory"), "\(error)")
        }
    }

    func testManifestFieldsAreValidated() throws {
        let bad: [(String, String)] = [
            (
                #"{"schema_version": 2, "name": "a", "role": "encoder", "version": "1.0.0", "description": "", "protocol": {"min": 1, "max": 1}, "executable": "x"}"#,
                "schema_version"
            ),
            (
                #"{"schema_version": 1, "name": "a", "role": "encoder", "version": "1.0", "description": "", "protocol": {"min": 1, "max": 1}, "executable": "x"}"#,
                "MAJOR.MINOR.PATCH"
            ),
            (
                #"{"schema_version": 1, "name": "a", "role": "encoder", "version": "1.0.0", "description": "", "protocol": {"min": 2, "max": 1}, "executable": "x"}"#,
                "empty"
            ),
            (
                #"{"schema_version": 1, "name": "a", "role": "encoder", "version": "1.0.0", "description": "", "protocol": {"min": 1, "max": 1}, "executable": "../x"}"#,
                "plain file name"
            ),
            (
                #"{"schema_version": 1, "name": "a", "role": "encoder", "version": "1.0.0", "description": "", "protocol": {"min": 1, "max": 1}, "executable": "x", "sha256": "ABC"}"#,
                "sha256"
            ),
            (
                #"{"schema_version": 1, "name": "a", "role": "viewer", "version": "1.0.0", "description": "", "protocol": {"min": 1, "max": 1}, "executable": "x"}"#,
                "role"
            ),
            (#"{"schema_version": 1, "name": "a"}"#, "missing"),
        ]
        for (json, fragment) in bad {
            XCTAssertThrowsError(try PluginManifest.parse(Data(json.utf8), source: "m.json")) { error in
                XCTAssertTrue("\(error)".contains(fragment) && "\(error)".contains("m.json"), "\(error)")
            }
        }
        XCTAssertThrowsError(try PluginManifest.parse(Data(repeating: 32, count: PluginManifest.maxBytes + 1), source: "m.json"))
    }
}
