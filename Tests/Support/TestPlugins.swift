import AuditStore
import Coordinator
import Foundation
import PluginHost
import PluginProtocol

/// A plugin directory with the bundled plugins and the fixtures, installed the
/// way users install them (`PluginInstaller`, digest pinned), once per test process.
public enum TestPlugins {
    /// Fixture behaviours, installed as both encoder and decoder (see Tests/Fixtures/FixturePlugin).
    public static let fixtures = ["crash-mid-training", "hang-on-forward", "lying-name",
                                  "garbage-stdout", "oversized-frame", "nan-output", "wrong-shape", "wrong-id", "log-flood",
                                  "stderr-flood", "memory-hog", "cpu-spin", "fork-shell", "exec-shell", "tcp-connect",
                                  "read-secret", "write-file", "wrong-gradient", "state-no-roundtrip"]

    /// The test process's `FEATURE_EXTRACTOR_HOME`: its database and its local signing key,
    /// which signs every test plugin and is trusted in that database, as the set-up script does for users.
    public static let home: String = {
        let dir = ProcessScratch.directory("fe-test-home")
        do {
            try FeatureExtractorHome.ensure(dir + "/keys")
            let key = SigningKey.generate(name: "local")
            try key.write(to: FeatureExtractorHome.localSigningKey(["FEATURE_EXTRACTOR_HOME": dir]))
            let store = try AuditStore.open(path: dir + "/feature-extractor.sqlite")
            try store.trustKey(TrustedKey(id: key.id, publicKey: key.publicKey.raw.base64EncodedString(), name: "local",
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
    public static let store: AuditStore = {
        do {
            return try AuditStore.open(path: home + "/feature-extractor.sqlite")
        } catch {
            preconditionFailure("cannot open the test database: \(error)")
        }
    }()

    public static var verification: ManifestVerification { ManifestVerification(trust: SQLiteTrustStore(store: store)) }

    /// A run environment as the CLI builds one: test plugins, sandbox, database, signing key.
    public static func environment(info: @escaping @Sendable (String) -> Void = { _ in }) -> RunEnvironment {
        RunEnvironment(pluginDirectories: [directory], sandbox: sandbox, store: store, actor: "tester", signingKey: signingKey, info: info)
    }

    /// The bundled plugin families: source folder under Plugins/{Encoders,Decoders} and plugin name.
    public static let bundledFamilies = [("ANN", "ann"), ("CNN", "cnn"), ("LSTM", "lstm"), ("Transformer", "transformer"), ("PCA", "pca"), ("Jumps", "jumps")]

    public static let directory: String = {
        let dir = ProcessScratch.directory("fe-test-plugins")
        do {
            let root = BuiltProducts.repositoryRoot.path
            let key = signingKey
            for (family, name) in bundledFamilies {
                try PluginInstaller.install(manifestTemplate: root + "/Plugins/Encoders/\(family)/plugin.json",
                                            executable: BuiltProducts.executable("fe-encoder-\(name)"), into: dir, signingKey: key)
                try PluginInstaller.install(manifestTemplate: root + "/Plugins/Decoders/\(family)/plugin.json",
                                            executable: BuiltProducts.executable("fe-decoder-\(name)"), into: dir, signingKey: key)
            }
            for name in fixtures {
                for role in PluginRole.allCases {
                    let template = NSTemporaryDirectory() + "fe-fixture-\(getpid())-\(role)-\(name).json"
                    let manifest = """
                    {"schema_version": 1, "name": "\(name)", "role": "\(role.rawValue)", "version": "1.0.0",
                     "description": "test fixture", "protocol": {"min": 1, "max": 1}, "executable": "\(name)"}
                    """
                    try Data(manifest.utf8).write(to: URL(fileURLWithPath: template))
                    try PluginInstaller.install(manifestTemplate: template, executable: BuiltProducts.executable("FixturePlugin"), into: dir,
                                                signingKey: key)
                    try? FileManager.default.removeItem(atPath: template)
                }
            }
        } catch {
            preconditionFailure("cannot install the test plugins from \(BuiltProducts.directory.path): \(error); run `swift build --build-tests` first")
        }
        return dir
    }()

    public static var locator: PluginLocator { PluginLocator(directories: [directory], verification: verification) }

    /// The repository's sandbox policy with the freshly built launcher: tests run plugins confined, as users do.
    public static let sandbox: SandboxSettings = {
        do {
            return try SandboxSettings.load(policyDirectory: BuiltProducts.repositoryRoot.appendingPathComponent("Policies").path,
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
    public static func connect(_ name: String, _ role: PluginRole, limits: RPCLimits = RPCLimits(),
                               resources: ResourceLimits? = nil) throws -> PluginConnection {
        let c = try PluginConnection(package: try locator.locate(name: name, role: role), role: role, limits: limits,
                                     sandbox: sandbox(resources))
        try c.initialize()
        return c
    }
}
