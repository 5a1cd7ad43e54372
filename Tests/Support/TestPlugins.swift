import Coordinator
import Foundation
import PluginHost
import PluginProtocol
import StateStore

/// A plugin directory with the bundled plugins and the fixtures, installed the
/// way users install them (`PluginInstaller`, digest pinned), once per test process.
public enum TestPlugins {
    /// Fixture behaviours, installed as both encoder and decoder (see Tests/Fixtures/FixturePlugin).
    public static let fixtures = [
        "crash-mid-training", "hang-on-forward", "hang-mid-training", "hog-then-hang", "lying-name",
        "garbage-stdout", "oversized-frame", "huge-json", "nan-output", "wrong-shape", "wrong-id", "log-flood",
        "stderr-flood", "memory-hog", "cpu-spin", "fork-shell", "exec-shell", "tcp-connect",
        "read-secret", "write-file", "wrong-gradient", "state-no-roundtrip", "ignores-step-in-backward",
        "slow-forward", "misreads-row-stride",
    ]

    /// The test process's `FEATURE_EXTRACTOR_HOME`: its database and its local signing key,
    /// which signs every test plugin and is trusted in that database, as the set-up script does for users.
    public static let home: String = {
        let dir = ProcessScratch.directory("fe-test-home")
        do {
            try FeatureExtractorHome.ensure(dir + "/keys")
            let key = SigningKey.generate(name: "local")
            try key.write(to: FeatureExtractorHome.localSigningKey(["FEATURE_EXTRACTOR_HOME": dir]))
            let store = try StateStore.open(path: dir + "/feature-extractor.sqlite")
            try store.trustKey(
                TrustedKey(
                    id: key.id, publicKey: key.publicKey.raw.base64EncodedString(), name: "local",
                    addedAt: Date(), revokedAt: nil))
        } catch {
            preconditionFailure("cannot set up the test home: \(error)")
        }
        return dir
    }()

    public static var environmentVariables: [String: String] { ["FEATURE_EXTRACTOR_HOME": home] }

    /// The local signing key (trusted in `store`).
    public static let signingKey: SigningKey = {
        do {
            return try SigningKey.load(path: FeatureExtractorHome.localSigningKey(environmentVariables))
        } catch {
            preconditionFailure("cannot load the test signing key: \(error)")
        }
    }()

    /// The test home's database (audit log, trust store).
    public static let store: StateStore = {
        do {
            return try StateStore.open(path: home + "/feature-extractor.sqlite")
        } catch {
            preconditionFailure("cannot open the test database: \(error)")
        }
    }()

    public static var verification: ManifestVerification { ManifestVerification(trust: SQLiteTrustStore(store: store)) }

    /// A run environment as the CLI builds one: test plugins, sandbox, database, signing key.
    public static func environment(info: @escaping @Sendable (String) -> Void = { _ in }) -> RunEnvironment {
        RunEnvironment(
            pluginDirectories: [directory], sandbox: sandbox, store: store, actor: "tester", signingKey: signingKey, info: info)
    }

    /// The bundled plugins' manifests (Plugins/{Encoders,Decoders}/*/plugin.json), found as the
    /// scripts find them: a new family needs no list edited here.
    public static let bundledManifests: [String] = {
        let root = BuiltProducts.repositoryRoot.path
        return ["Encoders", "Decoders"].flatMap { role -> [String] in
            let folder = root + "/Plugins/" + role
            let families = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
            return families.sorted().map { folder + "/" + $0 + "/" + PluginManifest.fileName }
                .filter { FileManager.default.fileExists(atPath: $0) }
        }
    }()

    public static let directory: String = {
        let dir = ProcessScratch.directory("fe-test-plugins")
        do {
            let key = signingKey
            for path in bundledManifests {
                let manifest = try PluginManifest.parse(
                    try PluginLocator.readLimited(path, limit: PluginManifest.maxBytes), source: path)
                try PluginInstaller.install(
                    manifestTemplate: path, executable: BuiltProducts.executable(manifest.executable), into: dir,
                    signingKey: key)
            }
            for name in fixtures {
                for role in PluginRole.allCases {
                    let template = NSTemporaryDirectory() + "fe-fixture-\(getpid())-\(role)-\(name).json"
                    let manifest = """
                        {"schema_version": 1, "name": "\(name)", "role": "\(role.rawValue)", "version": "1.0.0",
                         "description": "test fixture", "protocol": {"min": 1, "max": 1}, "executable": "\(name)"}
                        """
                    try Data(manifest.utf8).write(to: URL(fileURLWithPath: template))
                    try PluginInstaller.install(
                        manifestTemplate: template, executable: BuiltProducts.executable("FixturePlugin"), into: dir,
                        signingKey: key)
                    try? FileManager.default.removeItem(atPath: template)
                }
            }
        } catch {
            preconditionFailure(
                "cannot install the test plugins from \(BuiltProducts.directory.path): \(error); run `swift build --build-tests` first"
            )
        }
        return dir
    }()

    public static var locator: PluginLocator { PluginLocator(directories: [directory], verification: verification) }

    /// The repository's sandbox policy with the freshly built launcher: tests run plugins confined, as users do.
    public static let sandbox: SandboxSettings = {
        do {
            return try SandboxSettings.load(
                policyDirectory: BuiltProducts.repositoryRoot.appendingPathComponent("Policies").path,
                launcher: BuiltProducts.executable("fe-sandbox"))
        } catch {
            preconditionFailure("cannot load the sandbox policy: \(error)")
        }
    }()

    /// The sandbox with the operator's `resources` on top.
    public static func sandbox(_ resources: ResourceLimits?) -> SandboxSettings {
        var s = sandbox
        s.operatorLimits = resources
        return s
    }

    /// A started, handshaken plugin.
    public static func connect(
        _ name: String, _ role: PluginRole, limits: RPCLimits = RPCLimits(),
        resources: ResourceLimits? = nil
    ) throws -> PluginConnection {
        let c = try PluginConnection(
            package: try locator.locate(name: name, role: role), role: role, limits: limits,
            sandbox: sandbox(resources))
        try c.initialize()
        return c
    }
}
