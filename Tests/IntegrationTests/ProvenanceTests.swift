import Coordinator
import Foundation
import PluginHost
import PluginProtocol
import StateStore
import TestSupport
import XCTest

/// Signed manifests, trust, anti-rollback and signed models: each refusal with its own message.
final class ProvenanceTests: XCTestCase {
    private var dir: TemporaryDirectory!
    private var store: StateStore!
    private var publisher: SigningKey!

    override func setUpWithError() throws {
        dir = try TemporaryDirectory()
        store = try StateStore.open(path: dir.file("db.sqlite"))
        publisher = SigningKey.generate(name: "publisher")
        try trust(publisher)
    }

    override func tearDown() { dir.remove() }

    private func trust(_ key: SigningKey) throws {
        try store.trustKey(
            TrustedKey(
                id: key.id, publicKey: key.publicKey.raw.base64EncodedString(), name: key.name, addedAt: Date(), revokedAt: nil))
    }

    /// Installs the bundled ANN encoder under `plugins/`, with manifest changes, signed by `key`.
    @discardableResult
    private func install(
        version: String = "1.0.0", protocolRange: (Int, Int) = (1, 1), expires: String? = nil,
        key: SigningKey? = nil
    ) throws -> String {
        var manifest =
            try JSONSerialization.jsonObject(
                with: Data(
                    contentsOf: BuiltProducts.repositoryRoot
                        .appendingPathComponent("Plugins/Encoders/ANN/plugin.json"))) as! [String: Any]
        manifest["version"] = version
        manifest["protocol"] = ["min": protocolRange.0, "max": protocolRange.1]
        if let expires { manifest["expires"] = expires }
        try JSONSerialization.data(withJSONObject: manifest).write(to: URL(fileURLWithPath: dir.file("template.json")))
        return try PluginInstaller.install(
            manifestTemplate: dir.file("template.json"), executable: BuiltProducts.executable("fe-encoder-ann"),
            into: dir.file("plugins"), signingKey: key ?? publisher)
    }

    private func locate(allowDowngrade: Bool = false) throws -> PluginPackage {
        try PluginLocator(
            directories: [dir.file("plugins")],
            verification: ManifestVerification(trust: SQLiteTrustStore(store: store), allowDowngrade: allowDowngrade)
        )
        .locate(name: "ann", role: .encoder)
    }

    private func assertRefused(
        _ fragment: String, file: StaticString = #filePath, line: UInt = #line, allowDowngrade: Bool = false
    ) {
        XCTAssertThrowsError(try locate(allowDowngrade: allowDowngrade), file: file, line: line) { error in
            XCTAssertTrue("\(error)".contains(fragment), "expected '\(fragment)' in: \(error)", file: file, line: line)
        }
    }

    func testSignedPackageFromTrustedKeyIsAccepted() throws {
        try install()
        let package = try locate()
        XCTAssertEqual(package.signer, publisher.id)
        XCTAssertEqual(package.manifest.publisherKey, publisher.id)
    }

    func testUnsignedManifestIsRefused() throws {
        let package = try install()
        try FileManager.default.removeItem(atPath: package + "/plugin.json.sig")
        assertRefused("is not signed")
    }

    func testTamperedManifestIsRefused() throws {
        let package = try install()
        let path = package + "/plugin.json"
        let text = try String(contentsOfFile: path, encoding: .utf8)
        try text.replacingOccurrences(of: "Fully connected", with: "Fully-connected").write(
            toFile: path, atomically: true, encoding: .utf8)
        assertRefused("bad signature")
    }

    func testTamperedExecutableIsRefused() throws {
        let package = try install()
        let exe = package + "/fe-encoder-ann"
        var bytes = try Data(contentsOf: URL(fileURLWithPath: exe))
        bytes[bytes.count / 2] ^= 0x01  // one bit, in the middle of the code
        try bytes.write(to: URL(fileURLWithPath: exe))
        XCTAssertThrowsError(try locate()) { error in
            guard case PluginError.digestMismatch? = error as? PluginError else { return XCTFail("\(error)") }
        }
    }

    func testSignatureByUntrustedKeyIsRefused() throws {
        try install(key: SigningKey.generate(name: "stranger"))
        assertRefused("unknown key")
    }

    func testRevokedKeyIsRefused() throws {
        try install()
        try store.revokeKey(id: publisher.id)
        assertRefused("revoked key \(publisher.id)")
    }

    func testDowngradeIsRefusedUnlessAllowed() throws {
        try install(version: "1.4.0")
        _ = try locate()
        try install(version: "1.3.9")
        assertRefused("refusing a downgrade")
        XCTAssertEqual(try locate(allowDowngrade: true).manifest.version, "1.3.9")
        try install(version: "1.10.0")
        XCTAssertEqual(try locate().manifest.version, "1.10.0", "1.10.0 is newer than 1.4.0 (numeric comparison)")
    }

    func testExpiredManifestIsRefused() throws {
        try install(expires: "2020-01-01")
        assertRefused("expired on 2020-01-01")
        try install(expires: "2999-12-31")
        XCTAssertNoThrow(try locate())
    }

    func testIncompatibleProtocolRangeIsRefusedBeforeStarting() throws {
        try install(protocolRange: (2, 3))
        assertRefused("incompatible")
    }

    func testPublisherFieldMustMatchTheSigner() throws {
        let package = try install()
        // Re-sign with a second trusted key but keep the first as declared publisher.
        let other = SigningKey.generate(name: "other")
        try trust(other)
        let bytes = try Data(contentsOf: URL(fileURLWithPath: package + "/plugin.json"))
        try DetachedSignature.sign(bytes, kind: .manifest, with: other).encoded().write(
            to: URL(fileURLWithPath: package + "/plugin.json.sig"))
        assertRefused("names publisher key \(publisher.id)")
    }

    func testManifestSignatureCannotBeReusedForAModel() throws {
        // Domain separation: the same bytes signed as a manifest do not verify as a model.
        let bytes = Data("same bytes".utf8)
        let sig = try DetachedSignature.sign(bytes, kind: .manifest, with: publisher)
        XCTAssertThrowsError(try sig.verify(bytes, kind: .model, path: "x", trust: SQLiteTrustStore(store: store)))
        XCTAssertNoThrow(try sig.verify(bytes, kind: .manifest, path: "x", trust: SQLiteTrustStore(store: store)))
    }

    func testPrivateKeyFilesAreWrittenPrivateAndNeverOverwritten() throws {
        let path = dir.file("k.key")
        try publisher.write(to: path)
        var st = stat()
        XCTAssertEqual(stat(path, &st), 0)
        XCTAssertEqual(st.st_mode & 0o777, 0o600)
        XCTAssertThrowsError(try SigningKey.generate(name: "again").write(to: path)) { error in
            XCTAssertTrue("\(error)".contains("refusing to overwrite"), "\(error)")
        }
        chmod(path, 0o644)
        XCTAssertThrowsError(try SigningKey.load(path: path)) { error in
            XCTAssertTrue("\(error)".contains("readable by others"), "\(error)")
        }
        chmod(path, 0o600)
        XCTAssertEqual(try SigningKey.load(path: path).id, publisher.id)
        let pub = try PublicSigningKey.decode(Data(contentsOf: URL(fileURLWithPath: path + ".pub")), source: path + ".pub")
        XCTAssertEqual(pub.id, publisher.id)
        let text = try String(contentsOfFile: path + ".pub", encoding: .utf8)
        let file = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as! [String: String]
        let secret = try XCTUnwrap(file["key"])
        XCTAssertEqual(Data(base64Encoded: secret)?.count, 32)
        XCTAssertFalse(text.contains(secret), "the public file holds no private material")
    }
}

/// Saved models are signed; loading checks the signature before anything reaches a plugin.
final class ModelSignatureTests: XCTestCase {
    private var dir: TemporaryDirectory!

    override func setUpWithError() throws { dir = try TemporaryDirectory() }
    override func tearDown() { dir.remove() }

    private func config() -> RunConfiguration {
        var c = RunConfiguration()
        c.inputFile = BuiltProducts.sample("eurusd_1h_d1.csv")
        c.columns = ["CLOSE"]
        c.maxSteps = 1200
        c.windowSize = 24
        c.initialSize = 3
        c.epochs = 1
        c.outputFile = dir.file("f.csv")
        return c
    }

    private func saveEncoder() throws {
        var c = config()
        c.saveEncoder = dir.file("enc.safetensors")
        _ = try FeatureExtractionRun(config: c, environment: TestPlugins.environment()).run()
        XCTAssertTrue(FileManager.default.fileExists(atPath: dir.file("enc.safetensors.sig")))
    }

    private func loadEncoder() throws {
        var c = config()
        c.loadEncoder = dir.file("enc.safetensors")
        c.outputFile = dir.file("f2.csv")
        _ = try FeatureExtractionRun(config: c, environment: TestPlugins.environment()).run()
    }

    func testSignedModelLoads() throws {
        try saveEncoder()
        XCTAssertNoThrow(try loadEncoder())
    }

    func testTamperedModelIsRefused() throws {
        try saveEncoder()
        var bytes = try Data(contentsOf: URL(fileURLWithPath: dir.file("enc.safetensors")))
        bytes[bytes.count - 3] ^= 0x40  // a weight's bits: still a valid file, a different model
        try bytes.write(to: URL(fileURLWithPath: dir.file("enc.safetensors")))
        XCTAssertThrowsError(try loadEncoder()) { error in
            XCTAssertTrue("\(error)".contains("bad signature"), "\(error)")
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir.file("f2.csv")))
    }

    func testModelSignedByUnknownKeyIsRefused() throws {
        try saveEncoder()
        let stranger = SigningKey.generate(name: "stranger")
        let bytes = try Data(contentsOf: URL(fileURLWithPath: dir.file("enc.safetensors")))
        try DetachedSignature.sign(bytes, kind: .model, with: stranger).encoded().write(
            to: URL(fileURLWithPath: dir.file("enc.safetensors.sig")))
        XCTAssertThrowsError(try loadEncoder()) { error in
            XCTAssertTrue("\(error)".contains("unknown key \(stranger.id)"), "\(error)")
        }
    }

    func testUnsignedModelIsRefused() throws {
        try saveEncoder()
        try FileManager.default.removeItem(atPath: dir.file("enc.safetensors.sig"))
        XCTAssertThrowsError(try loadEncoder()) { error in
            XCTAssertTrue("\(error)".contains("has no signature"), "\(error)")
        }
    }

    func testModelLoadsAndSavesAreAudited() throws {
        try saveEncoder()
        try loadEncoder()
        let entries = try TestPlugins.store.entries(AuditFilter(action: "model.save"))
        XCTAssertTrue(entries.contains { $0.target == dir.file("enc.safetensors") && $0.outcome == .success })
        let loads = try TestPlugins.store.entries(AuditFilter(action: "model.load"))
        XCTAssertTrue(loads.contains { $0.target == dir.file("enc.safetensors") && $0.outcome == .success })
    }
}

/// The executable that runs is the one whose digest was checked, even if the file is
/// swapped after the plugin was located (check-to-use race).
final class ExecutableSwapTests: XCTestCase {
    func testSwappingTheExecutableAfterLookupIsCaughtBeforeItRuns() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let installed = try PluginInstaller.install(
            manifestTemplate: BuiltProducts.repositoryRoot.appendingPathComponent("Plugins/Encoders/ANN/plugin.json").path,
            executable: BuiltProducts.executable("fe-encoder-ann"), into: dir.file("plugins"),
            signingKey: TestPlugins.signingKey)
        let package = try PluginLocator(directories: [dir.file("plugins")], verification: TestPlugins.verification).locate(
            name: "ann", role: .encoder)
        // Between lookup and launch, an attacker replaces the file (same name, other program).
        try FileManager.default.removeItem(atPath: installed + "/fe-encoder-ann")
        try FileManager.default.copyItem(
            atPath: BuiltProducts.executable("fe-decoder-ann"), toPath: installed + "/fe-encoder-ann")
        XCTAssertThrowsError(try PluginConnection(package: package, role: .encoder, sandbox: TestPlugins.sandbox)) { error in
            guard case PluginError.digestMismatch? = error as? PluginError else { return XCTFail("\(error)") }
        }
    }

    func testThePluginIsExecutedFromTheVerifiedDescriptor() throws {
        let arguments = try TestPlugins.sandbox.launcherArguments(
            for: try TestPlugins.locator.locate(name: "ann", role: .encoder))
        XCTAssertTrue(zip(arguments, arguments.dropFirst()).contains { $0 == "--exec-fd" && $1 == "4" }, "\(arguments)")
        let c = try TestPlugins.connect("ann", .encoder)
        defer { c.shutdown() }
        XCTAssertEqual(c.info?.name, "ann", "a plugin run by descriptor answers normally")
    }
}
