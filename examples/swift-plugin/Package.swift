// swift-tools-version:6.0
import PackageDescription

// A feature-extractor plugin written the way a third party writes one: a single dependency on
// feature-extractor, the PluginKit SDK to build the network, and the ManifestIdentity build
// plugin, which reads the plugin's name, version and role from plugin.json.
let package = Package(
    name: "acme-linear",
    products: [
        // The executable's name is the one plugin.json gives under "executable".
        .executable(name: "acme-linear-encoder", targets: ["LinearEncoder"])
    ],
    dependencies: [
        // From another repository: .package(url: "<feature-extractor's git URL>", exact: "<version>").
        // Here it is this checkout (the tests build the example against it).
        .package(name: "feature-extractor", path: "../..")
    ],
    targets: [
        .executableTarget(
            name: "LinearEncoder",
            dependencies: [
                .product(name: "PluginKit", package: "feature-extractor")
            ],
            plugins: [.plugin(name: "ManifestIdentity", package: "feature-extractor")])
    ]
)
