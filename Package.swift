// swift-tools-version:6.0
import PackageDescription

// Dependencies point one way (docs/ARCHITECTURE.md draws the graph):
// FeatureExtractor -> Coordinator -> PluginHost -> PluginProtocol -> FeatureExtractorSupport;
// plugins depend on PluginKit -> PluginProtocol only, never on the coordinator's modules.
// Each target lists exactly the modules it imports, no more: scripts/check-imports (run by
// scripts/test) fails on an undeclared import or an unused dependency.
// Linux only: the sandbox (seccomp, Landlock, namespaces) and the launcher are Linux APIs.
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
        .executable(name: "fe-encoder-ann", targets: ["EncoderANN"]),
        .executable(name: "fe-decoder-ann", targets: ["DecoderANN"]),
        .executable(name: "fe-encoder-cnn", targets: ["EncoderCNN"]),
        .executable(name: "fe-decoder-cnn", targets: ["DecoderCNN"]),
        .executable(name: "fe-encoder-lstm", targets: ["EncoderLSTM"]),
        .executable(name: "fe-decoder-lstm", targets: ["DecoderLSTM"]),
        .executable(name: "fe-encoder-transformer", targets: ["EncoderTransformer"]),
        .executable(name: "fe-decoder-transformer", targets: ["DecoderTransformer"]),
        .executable(name: "fe-encoder-pca", targets: ["EncoderPCA"]),
        .executable(name: "fe-decoder-pca", targets: ["DecoderPCA"]),
        .executable(name: "fe-encoder-jumps", targets: ["EncoderJumps"]),
        .executable(name: "fe-decoder-jumps", targets: ["DecoderJumps"]),
        .executable(name: "fe-sandbox", targets: ["SandboxLauncher"]),
    ],
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
    ],
    targets: [
        // Helpers every module shares (hex, atomic file replacement, bounded reads, names, the
        // data home, SplitMix64): Foundation-free, so the SDK can carry it.
        .target(name: "FeatureExtractorSupport"),
        .target(name: "PluginProtocol", dependencies: ["FeatureExtractorSupport"]),
        .systemLibrary(name: "CBLAS", path: "Sources/CBLAS"),
        .target(name: "CProcessSpawn"),
        // The launcher that confines a plugin before executing it (C: it runs between fork and exec).
        .executableTarget(name: "SandboxLauncher", linkerSettings: [.linkedLibrary("seccomp")]),
        // Mean, covariance and principal subspaces in double precision (LAPACK): PCA fits and the PCA baseline.
        .target(name: "PrincipalComponents", dependencies: ["CBLAS"]),
        .target(name: "PluginKit", dependencies: ["PluginProtocol", "PrincipalComponents", "CBLAS", "FeatureExtractorSupport"],
                path: "Plugins/PluginKit"),
        // plugin.json is the one place a plugin's identity is declared: this build plugin turns it into
        // `enum ManifestIdentity` in every plugin target that lists it (and in third parties' targets).
        .executableTarget(name: "ManifestIdentityTool", dependencies: ["PluginProtocol", "FeatureExtractorSupport"], path: "BuildPlugins/ManifestIdentityTool"),
        .plugin(name: "ManifestIdentity", capability: .buildTool(), dependencies: ["ManifestIdentityTool"],
                path: "BuildPlugins/ManifestIdentity"),
        // The closed-form family: PCA of the training windows (the optimal linear autoencoder).
        .executableTarget(name: "EncoderPCA", dependencies: ["PluginKit", "PluginProtocol"], path: "Plugins/Encoders/PCA",
                          plugins: ["ManifestIdentity"]),
        .executableTarget(name: "DecoderPCA", dependencies: ["PluginKit", "PluginProtocol"], path: "Plugins/Decoders/PCA",
                          plugins: ["ManifestIdentity"]),
        // PCA plus jumps picked by matching pursuit: closed form, for heavy-tailed series such as prices.
        .executableTarget(name: "EncoderJumps", dependencies: ["PluginKit", "PluginProtocol"], path: "Plugins/Encoders/Jumps",
                          plugins: ["ManifestIdentity"]),
        .executableTarget(name: "DecoderJumps", dependencies: ["PluginKit", "PluginProtocol"], path: "Plugins/Decoders/Jumps",
                          plugins: ["ManifestIdentity"]),
        .executableTarget(name: "EncoderANN", dependencies: ["PluginKit", "PluginProtocol"], path: "Plugins/Encoders/ANN",
                          plugins: ["ManifestIdentity"]),
        .executableTarget(name: "DecoderANN", dependencies: ["PluginKit", "PluginProtocol"], path: "Plugins/Decoders/ANN",
                          plugins: ["ManifestIdentity"]),
        // The sequence families: CNN, LSTM and transformer encoders and decoders (any encoder fits any decoder).
        .executableTarget(name: "EncoderCNN", dependencies: ["PluginKit", "PluginProtocol"], path: "Plugins/Encoders/CNN",
                          plugins: ["ManifestIdentity"]),
        .executableTarget(name: "DecoderCNN", dependencies: ["PluginKit", "PluginProtocol"], path: "Plugins/Decoders/CNN",
                          plugins: ["ManifestIdentity"]),
        .executableTarget(name: "EncoderLSTM", dependencies: ["PluginKit", "PluginProtocol"], path: "Plugins/Encoders/LSTM",
                          plugins: ["ManifestIdentity"]),
        .executableTarget(name: "DecoderLSTM", dependencies: ["PluginKit", "PluginProtocol"], path: "Plugins/Decoders/LSTM",
                          plugins: ["ManifestIdentity"]),
        .executableTarget(name: "EncoderTransformer", dependencies: ["PluginKit", "PluginProtocol"], path: "Plugins/Encoders/Transformer",
                          plugins: ["ManifestIdentity"]),
        .executableTarget(name: "DecoderTransformer", dependencies: ["PluginKit", "PluginProtocol"], path: "Plugins/Decoders/Transformer",
                          plugins: ["ManifestIdentity"]),
        .target(name: "PluginHost", dependencies: [
            "PluginProtocol", "CProcessSpawn", "FeatureExtractorSupport",
            .product(name: "Crypto", package: "swift-crypto"),
        ]),
        // All persistent state: users, tokens, trust, runs, statistics, the audit log (SQLite via GRDB).
        .target(name: "StateStore", dependencies: [
            "FeatureExtractorSupport",
            .product(name: "GRDB", package: "GRDB.swift"),
            .product(name: "Crypto", package: "swift-crypto"),
            .product(name: "CryptoExtras", package: "swift-crypto"),
        ]),
        // Request signing shared by the HTTPS server and client: canonical form, HMAC, header names.
        .target(name: "RemoteAuth", dependencies: ["FeatureExtractorSupport", .product(name: "Crypto", package: "swift-crypto")]),
        // The reference HTTPS endpoint for configs, models and logs (`feature-extractor serve`).
        .target(name: "Server", dependencies: [
            "RemoteAuth", "StateStore",
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "HummingbirdTLS", package: "hummingbird"),
            .product(name: "HummingbirdCore", package: "hummingbird"),
            .product(name: "HTTPTypes", package: "swift-http-types"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOSSL", package: "swift-nio-ssl"),
            .product(name: "Crypto", package: "swift-crypto"),
        ], resources: [.copy("openapi.yaml")]),
        // The HTTPS client the CLI uses for remote configs, models and logs.
        .target(name: "RemoteClient", dependencies: [
            "RemoteAuth",
            .product(name: "AsyncHTTPClient", package: "async-http-client"),
            .product(name: "Crypto", package: "swift-crypto"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
            .product(name: "NIOSSL", package: "swift-nio-ssl"),
        ]),
        .target(name: "Coordinator", dependencies: [
            "PluginHost", "PluginProtocol", "StateStore", "RemoteAuth", "RemoteClient", "PrincipalComponents",
            "FeatureExtractorSupport",
        ]),
        .executableTarget(name: "FeatureExtractor", dependencies: [
            "Coordinator", "PluginHost", "PluginProtocol", "StateStore", "Server", "RemoteClient",
            "FeatureExtractorSupport",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        // Misbehaving plugins for tests; the behaviour is chosen by the executable's file name.
        .executableTarget(name: "FixturePlugin", dependencies: ["PluginKit", "PluginProtocol"], path: "Tests/Fixtures/FixturePlugin"),
        .target(name: "TestSupport", dependencies: ["PluginHost", "PluginProtocol", "Coordinator", "StateStore", "RemoteClient"],
                path: "Tests/Support"),
        .testTarget(name: "UnitTests", dependencies: [
            "PluginProtocol", "PluginKit", "Coordinator", "PluginHost", "StateStore", "TestSupport", "PrincipalComponents",
            "FeatureExtractorSupport",
            .product(name: "GRDB", package: "GRDB.swift"), .product(name: "Crypto", package: "swift-crypto"),
        ]),
        .testTarget(name: "IntegrationTests", dependencies: ["Coordinator", "PluginHost", "PluginProtocol", "StateStore", "RemoteClient", "RemoteAuth", "TestSupport"]),
        .testTarget(name: "SystemTests", dependencies: ["TestSupport", "StateStore", "RemoteClient"]),
        .testTarget(name: "AcceptanceTests", dependencies: ["TestSupport"]),
    ]
)
