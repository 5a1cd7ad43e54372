// swift-tools-version:6.0
import PackageDescription

// Dependencies point one way (docs/ARCHITECTURE.md draws the graph):
// FeatureExtractor -> Coordinator -> PluginHost -> PluginProtocol -> FeatureExtractorSupport;
// plugins depend on PluginKit -> PluginProtocol only, never on the coordinator's modules.
// Each target lists exactly the modules it imports, no more: scripts/check-imports (run by
// scripts/test) fails on an undeclared import or an unused dependency.
// Linux only: the sandbox (seccomp, Landlock, namespaces) and the launcher are Linux APIs.
/// A bundled plugin family: an encoder and a decoder in Plugins/Encoders/<folder> and
/// Plugins/Decoders/<folder>, built as the executables `fe-encoder-<name>` and `fe-decoder-<name>`
/// that their plugin.json files name. Each depends on PluginKit alone, as a third party's plugin
/// does, and takes its name, version and role from its plugin.json (ManifestIdentity).
struct Family {
    let folder: String
    let name: String

    /// (role as the executable names it, as folders and targets name it)
    private static let roles = [("encoder", "Encoder"), ("decoder", "Decoder")]

    var products: [Product] {
        Self.roles.map { role, Role in .executable(name: "fe-\(role)-\(name)", targets: [Role + folder]) }
    }

    var targets: [Target] {
        Self.roles.map { _, Role in
            .executableTarget(
                name: Role + folder, dependencies: ["PluginKit"], path: "Plugins/\(Role)s/\(folder)",
                plugins: ["ManifestIdentity"])
        }
    }
}

/// Adding a family: its two folders, and one line here.
let bundledFamilies = [
    Family(folder: "ANN", name: "ann"),
    // The sequence families (any encoder fits any decoder).
    Family(folder: "CNN", name: "cnn"),
    Family(folder: "LSTM", name: "lstm"),
    Family(folder: "Transformer", name: "transformer"),
    // Closed form: PCA of the training windows (the optimal linear autoencoder), and PCA plus
    // jumps picked by matching pursuit, for heavy-tailed series such as prices.
    Family(folder: "PCA", name: "pca"),
    Family(folder: "Jumps", name: "jumps"),
]

let package = Package(
    name: "feature-extractor",
    products: [
        // The plugin SDK: `.product(name: "PluginKit", package: "feature-extractor")` is all a
        // Swift plugin needs (examples/swift-plugin); PluginProtocol alone is the wire format.
        .library(name: "PluginKit", targets: ["PluginKit"]),
        .library(name: "PluginProtocol", targets: ["PluginProtocol"]),
        // Generates a plugin's name, version and role from its plugin.json (BuildPlugins/ManifestIdentity).
        .plugin(name: "ManifestIdentity", targets: ["ManifestIdentity"]),
        .executable(name: "feature-extractor", targets: ["FeatureExtractor"]),
        .executable(name: "fe-sandbox", targets: ["SandboxLauncher"]),
    ] + bundledFamilies.flatMap(\.products),
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", exact: "1.8.2"),
        .package(url: "https://github.com/apple/swift-crypto", exact: "4.5.2"),
        .package(url: "https://github.com/groue/GRDB.swift", exact: "7.10.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", exact: "2.28.1"),
        .package(url: "https://github.com/swift-server/async-http-client", exact: "1.37.0"),
        .package(url: "https://github.com/apple/swift-http-types", exact: "1.8.0"),
        // Imported directly by the HTTPS server and client (channel and TLS types), so pinned here too.
        .package(url: "https://github.com/apple/swift-nio.git", exact: "2.101.3"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", exact: "2.37.6"),
        // The server's connection guard names swift-log's Logger (HummingbirdCore's child-channel protocol).
        .package(url: "https://github.com/apple/swift-log.git", exact: "1.16.2"),
    ],
    targets: [
        // Helpers every module shares (hex, atomic file replacement, bounded reads, names, the
        // data home, SplitMix64): Foundation-free, so the SDK can carry it.
        .target(name: "FeatureExtractorSupport"),
        // Float kernels (tanh, sigmoid, finiteness checks) at the CPU's widest vector width, picked
        // at run time: Swift builds for the x86-64 baseline.
        .target(name: "CVectorMath"),
        .target(name: "PluginProtocol", dependencies: ["CVectorMath", "FeatureExtractorSupport"]),
        .systemLibrary(name: "CBLAS", path: "Sources/CBLAS"),
        .target(name: "CProcessSpawn"),
        // The launcher that confines a plugin before executing it (C: it runs between fork and exec).
        .executableTarget(name: "SandboxLauncher", linkerSettings: [.linkedLibrary("seccomp")]),
        // Mean, covariance and principal subspaces in double precision (LAPACK): PCA fits and the PCA baseline.
        .target(name: "PrincipalComponents", dependencies: ["CBLAS"]),
        .target(
            name: "PluginKit",
            dependencies: ["PluginProtocol", "PrincipalComponents", "CBLAS", "CVectorMath", "FeatureExtractorSupport"],
            path: "Plugins/PluginKit"),
        // plugin.json is the one place a plugin's identity is declared: this build plugin turns it into
        // `enum ManifestIdentity` in every plugin target that lists it (and in third parties' targets).
        .executableTarget(
            name: "ManifestIdentityTool", dependencies: ["PluginProtocol", "FeatureExtractorSupport"],
            path: "BuildPlugins/ManifestIdentityTool"),
        .plugin(
            name: "ManifestIdentity", capability: .buildTool(), dependencies: ["ManifestIdentityTool"],
            path: "BuildPlugins/ManifestIdentity"),
        .target(
            name: "PluginHost",
            dependencies: [
                "PluginProtocol", "CProcessSpawn", "FeatureExtractorSupport",
                .product(name: "Crypto", package: "swift-crypto"),
            ]),
        // All persistent state: users, tokens, trust, runs, statistics, the audit log (SQLite via GRDB).
        .target(
            name: "StateStore",
            dependencies: [
                "FeatureExtractorSupport", "RemoteAuth",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "CryptoExtras", package: "swift-crypto"),
            ]),
        // Request signing shared by the HTTPS server and client: canonical form, HMAC, header names.
        .target(
            name: "RemoteAuth", dependencies: ["FeatureExtractorSupport", .product(name: "Crypto", package: "swift-crypto")]),
        // The reference HTTPS endpoint for configs, models and logs (`feature-extractor serve`).
        .target(
            name: "Server",
            dependencies: [
                "RemoteAuth", "StateStore", "FeatureExtractorSupport",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Crypto", package: "swift-crypto"),
            ], resources: [.copy("openapi.yaml")]),
        // The HTTPS client the CLI uses for remote configs, models and logs.
        .target(
            name: "RemoteClient",
            dependencies: [
                "RemoteAuth",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ]),
        .target(
            name: "Coordinator",
            dependencies: [
                "PluginHost", "PluginProtocol", "StateStore", "RemoteAuth", "RemoteClient", "PrincipalComponents",
                "FeatureExtractorSupport",
            ]),
        .executableTarget(
            name: "FeatureExtractor",
            dependencies: [
                "Coordinator", "PluginHost", "PluginProtocol", "StateStore", "Server", "RemoteClient",
                "FeatureExtractorSupport",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]),
        // Misbehaving plugins for tests; the behaviour is chosen by the executable's file name.
        .executableTarget(
            name: "FixturePlugin", dependencies: ["PluginKit", "PluginProtocol"], path: "Tests/Fixtures/FixturePlugin"),
        .target(
            name: "TestSupport",
            dependencies: ["PluginHost", "PluginProtocol", "Coordinator", "StateStore", "RemoteClient", "RemoteAuth"],
            path: "Tests/Support"),
        .testTarget(
            name: "UnitTests",
            dependencies: [
                "PluginProtocol", "PluginKit", "Coordinator", "PluginHost", "StateStore", "TestSupport", "PrincipalComponents",
                "CVectorMath", "FeatureExtractorSupport", "RemoteAuth",
                .product(name: "GRDB", package: "GRDB.swift"), .product(name: "Crypto", package: "swift-crypto"),
            ]),
        .testTarget(
            name: "IntegrationTests",
            dependencies: [
                "Coordinator", "PluginHost", "PluginProtocol", "StateStore", "RemoteClient", "RemoteAuth", "TestSupport",
            ]),
        .testTarget(name: "SystemTests", dependencies: ["TestSupport", "StateStore", "RemoteClient"]),
        .testTarget(name: "AcceptanceTests", dependencies: ["TestSupport"]),
    ] + bundledFamilies.flatMap(\.targets)
)
