import ArgumentParser
import Coordinator
import FeatureExtractorSupport
import Foundation
import PluginHost
import PluginProtocol

struct PluginCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plugin",
        abstract: "Install, sign, verify, list and inspect plugin packages.",
        subcommands: [
            Install.self, Sign.self, Verify.self, List.self, Info.self, Check.self, StartupTime.self, Throughput.self,
        ])

    /// Finds a plugin by name and checks its provenance against the store's trusted keys.
    static func locate(_ name: String, role: PluginRole, in dirs: [String], store: StoreOptions) throws -> PluginPackage {
        try PluginLocator(
            directories: PluginDirectories.resolve(dirs),
            verification: ManifestVerification(trust: SQLiteTrustStore(store: try store.open()))
        )
        .locate(name: name, role: role)
    }

    struct Install: ToolCommand {
        static let configuration = CommandConfiguration(
            abstract: "Copy a built plugin into a plugin directory and pin its executable's SHA-256 in the manifest.")

        @Option(help: "The plugin's manifest template (plugin.json).")
        var manifest: String
        @Option(help: "The built executable.")
        var executable: String
        @Option(help: "The plugin directory to install into.")
        var into: String
        @Option(name: .customLong("sign-with"), help: "Sign the installed manifest with this private key.")
        var signWith: String?

        func execute() throws {
            let key = try signWith.map(SigningKey.load(path:))
            let dir = try PluginInstaller.install(manifestTemplate: manifest, executable: executable, into: into, signingKey: key)
            print("installed \(dir)" + (key.map { ", signed by \($0.id)" } ?? ""))
        }
    }

    struct Sign: ToolCommand {
        static let configuration = CommandConfiguration(
            abstract: "Sign an installed plugin package's manifest (it pins the executable's SHA-256) with an Ed25519 key.")
        @Argument(help: "The package directory (…/encoders/<name> or …/decoders/<name>).") var package: String
        @Option(help: "The private key file (mode 0600).") var key: String

        func execute() throws {
            let signingKey = try SigningKey.load(path: key)
            try PluginInstaller.sign(packageDirectory: package, with: signingKey)
            print("signed \(package) with \(signingKey.id) (\(signingKey.name))")
        }
    }

    struct Verify: ToolCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check a plugin package as a run would: signature, trusted key, expiry, protocol, digest, downgrade.")
        @Argument(help: "The package directory.") var package: String
        @OptionGroup var store: StoreOptions

        func execute() throws {
            let db = try store.open()
            let locator = PluginLocator(directories: [], verification: ManifestVerification(trust: SQLiteTrustStore(store: db)))
            let p = try locator.load(packageDirectory: package, expectedName: nil, role: nil)
            print(
                "ok: \(p.manifest.role) \(p.manifest.name) \(p.manifest.version), signed by \(p.signer ?? "-"), sha256 \(p.manifest.sha256 ?? "-")"
            )
        }
    }

    struct List: ToolCommand {
        static let configuration = CommandConfiguration(
            abstract: "List the plugins found: role, name, version, signer, trust state and directory.",
            discussion: """
                Each package is checked as a run would check it (signature, trusted key, expiry, protocol, \
                executable digest), without starting it: "trusted", or "refused" with the reason. \
                The first directory holding a name wins, as in a run; the others are listed as "shadowed".
                """)
        @Option(name: .customLong("plugins-dir"), help: "Directory of plugin packages (repeatable).")
        var pluginsDirs: [String] = []
        @Flag(help: "Print one JSON array (keys: docs/JSON.md).") var json = false
        @OptionGroup var store: StoreOptions

        func execute() throws {
            let directories = PluginDirectories.resolve(pluginsDirs)
            let trust = ReadOnlyTrust(SQLiteTrustStore(store: try store.open()))
            let listed = PluginListing.list(directories: directories, trust: trust)
            if json { return try JSONOutput.print(listed) }
            for p in listed {
                let state = p.trust == "trusted" ? "trusted" : "\(p.trust): \(p.problem ?? "?")"
                print("\(p.role)\t\(p.name)\t\(p.version ?? "-")\tsigner \(p.signer ?? "-")\t\(state)\t\(p.directory)")
            }
        }
    }

    struct Info: ToolCommand {
        static let configuration = CommandConfiguration(abstract: "Verify a plugin, start it, and show its parameters.")
        @Argument(help: "encoder or decoder") var role: String
        @Argument(help: "Plugin name") var name: String
        @Option(name: .customLong("plugins-dir"), help: "Directory of plugin packages (repeatable).")
        var pluginsDirs: [String] = []
        @OptionGroup var sandbox: SandboxOptions
        @OptionGroup var store: StoreOptions
        @Flag(help: "Print one JSON object (keys: docs/JSON.md).") var json = false

        func execute() throws {
            guard let r = PluginRole(rawValue: role) else { throw ValidationError("role must be encoder or decoder") }
            let package = try PluginCommand.locate(name, role: r, in: pluginsDirs, store: store)
            let connection = try PluginConnection(package: package, role: r, sandbox: try sandbox.settings())
            defer { connection.shutdown() }
            let info = try connection.initialize()
            if json {
                return try JSONOutput.print(
                    PluginInfoView(
                        role: info.role.rawValue, name: info.name, version: info.version, protocolVersion: info.protocol,
                        transport: info.transport.rawValue, directory: package.directory, sha256: package.manifest.sha256,
                        signer: package.signer, parameters: info.parameters))
            }
            print("\(info.role) \(info.name) \(info.version) (protocol \(info.protocol), transport \(info.transport.rawValue))")
            print("package: \(package.directory)  sha256: \(package.manifest.sha256 ?? "-")")
            for key in info.parameters.keys.sorted() {
                let p = info.parameters[key]!
                print("  \(key) (\(p.type.rawValue), default \(p.defaultValue)): \(p.description)")
            }
        }
    }

    struct Check: ToolCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check that an installed plugin package keeps the protocol, running it sandboxed as a run would.",
            discussion: """
                Verifies the package (signature, trusted key, digest), then checks: handshake, parameter schema, \
                malformed frames, forward shapes, gradients (finite differences through the protocol), state round trip, \
                determinism and shutdown. Prints one PASS or FAIL line per item; exits 0 only when all pass, 69 otherwise.
                """)
        @Argument(help: "The package directory (…/encoders/<name> or …/decoders/<name>).") var package: String
        @Option(help: "Seed of the plugin's models and of the checker's random inputs.") var seed: UInt64 = 42
        @OptionGroup var sandbox: SandboxOptions
        @OptionGroup var store: StoreOptions
        @Flag(help: "Print one JSON object when done, instead of a line per item (keys: docs/JSON.md).") var json = false

        func execute() throws {
            let directory = URL(fileURLWithPath: package).standardizedFileURL.resolvingSymlinksInPath().path
            let loaded: PluginPackage
            let settings: SandboxSettings?
            do {
                let locator = PluginLocator(
                    directories: [], verification: ManifestVerification(trust: SQLiteTrustStore(store: try store.open())))
                loaded = try locator.load(packageDirectory: directory, expectedName: nil, role: nil)
                settings = try sandbox.settings()
            } catch {
                if json {
                    try JSONOutput.print(
                        CheckView(
                            package: directory, passed: false,
                            items: [CheckView.Item(name: "package", passed: false, detail: "\(error)")]))
                    throw ExitCode(ExitCodes.code(for: error))
                }
                FileHandle.standardOutput.write(Data("FAIL package: \(error)\n".utf8))
                throw error
            }
            let m = loaded.manifest
            let packageItem = CheckView.Item(
                name: "package", passed: true,
                detail: "\(m.role) \(m.name) \(m.version), signed by \(loaded.signer ?? "-"), sha256 \(m.sha256 ?? "-")")
            if !json { FileHandle.standardOutput.write(Data("PASS package: \(packageItem.detail)\n".utf8)) }
            var checker = ConformanceChecker(package: loaded, sandbox: settings)
            checker.seed = seed
            let report = checker.run { item in
                if !json { FileHandle.standardOutput.write(Data("\(item)\n".utf8)) }
            }
            if json {
                try JSONOutput.print(
                    CheckView(
                        package: directory, passed: report.passed,
                        items: [packageItem]
                            + report.items.map { CheckView.Item(name: $0.name, passed: $0.passed, detail: $0.detail) }))
            } else if report.items.count == 1, let refused = report.item(ConformanceChecker.policyItemName), !refused.passed {
                FileHandle.standardOutput.write(
                    Data("(the sandbox policy refuses this plugin, so no other item could run)\n".utf8))
            }
            guard report.passed else { throw ExitCode(ExitCodes.plugin) }
        }
    }

    struct StartupTime: ToolCommand {
        static let configuration = CommandConfiguration(
            commandName: "startup-time",
            abstract: "Measure a plugin's start-up: spawn to finished handshake, median of several starts (for benchmarks).")
        @Argument(help: "encoder or decoder") var role: String
        @Argument(help: "Plugin name") var name: String
        @Option(name: .customLong("repeat"), help: "Starts to measure.") var count: Int = 20
        @Option(name: .customLong("plugins-dir"), help: "Directory of plugin packages (repeatable).")
        var pluginsDirs: [String] = []
        @Flag(help: "Print one JSON object (keys: docs/JSON.md).") var json = false
        @OptionGroup var sandbox: SandboxOptions
        @OptionGroup var store: StoreOptions

        /// What `--json` prints.
        struct Report: Encodable {
            let role: String, name: String
            let starts: Int
            let medianMs: Double, minMs: Double, maxMs: Double
            let sandboxed: Bool
            enum CodingKeys: String, CodingKey {
                case role, name, starts, sandboxed
                case medianMs = "median_ms", minMs = "min_ms", maxMs = "max_ms"
            }
        }

        func execute() throws {
            guard let r = PluginRole(rawValue: role) else { throw ValidationError("role must be encoder or decoder") }
            let package = try PluginCommand.locate(name, role: r, in: pluginsDirs, store: store)
            let settings = try sandbox.settings()
            var times: [Double] = []
            for _ in 0..<max(count, 1) {
                let stopwatch = Stopwatch()
                let c = try PluginConnection(package: package, role: r, sandbox: settings)
                try c.initialize()
                times.append(stopwatch.seconds * 1000)
                c.shutdown()
            }
            times.sort()
            if json {
                return try JSONOutput.print(
                    Report(
                        role: role, name: name, starts: times.count, medianMs: times[times.count / 2], minMs: times[0],
                        maxMs: times[times.count - 1], sandboxed: settings != nil))
            }
            print(
                String(
                    format: "median %.2f ms, min %.2f ms, max %.2f ms over %d starts (%@)",
                    times[times.count / 2], times[0], times[times.count - 1], times.count,
                    settings == nil ? "no sandbox" : "sandboxed"))
        }
    }
}
