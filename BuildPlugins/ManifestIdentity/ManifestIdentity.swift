import Foundation
import PackagePlugin

/// Declares a plugin's identity once: reads `name`, `version` and `role` from the target's
/// plugin.json (the manifest the host verifies) and generates `ManifestIdentity.swift` with
///
///     enum ManifestIdentity { static let name, version: String; static let role: PluginRole }
///
/// so the plugin's Swift type says `static let name = ManifestIdentity.name` (and so on) and
/// can never disagree with its manifest. Use it with `plugins: ["ManifestIdentity"]` (or
/// `.plugin(name: "ManifestIdentity", package: "feature-extractor")`), keep plugin.json beside
/// the target's sources and do not list it in `exclude:`: the plugin finds it among them.
@main
struct ManifestIdentity: BuildToolPlugin {
    func createBuildCommands(context: PluginContext, target: Target) throws -> [Command] {
        guard let module = target as? SourceModuleTarget else { throw PluginUsage.notASourceTarget(target.name) }
        let manifests = module.sourceFiles.map(\.url).filter { $0.lastPathComponent == "plugin.json" }
        guard manifests.count == 1, let manifest = manifests.first else {
            throw PluginUsage.manifestCount(target.name, manifests.map(\.path))
        }
        let output = context.pluginWorkDirectoryURL.appending(path: "ManifestIdentity.swift")
        return [
            .buildCommand(
                displayName: "Generating ManifestIdentity for \(target.name) from plugin.json",
                executable: try context.tool(named: "ManifestIdentityTool").url,
                arguments: [manifest.path, output.path],
                inputFiles: [manifest], outputFiles: [output])
        ]
    }
}

/// A target the plugin cannot serve, said in terms of what to change in Package.swift.
enum PluginUsage: Error, CustomStringConvertible {
    case notASourceTarget(String)
    case manifestCount(String, [String])

    var description: String {
        switch self {
        case .notASourceTarget(let target):
            return "ManifestIdentity: target '\(target)' has no Swift sources; use the plugin on the plugin's executable target"
        case .manifestCount(let target, let found) where found.isEmpty:
            return "ManifestIdentity: target '\(target)' has no plugin.json among its files; put the manifest beside its "
                + "sources and remove it from `exclude:`"
        case .manifestCount(let target, let found):
            return
                "ManifestIdentity: target '\(target)' has \(found.count) plugin.json files (\(found.joined(separator: ", "))); "
                + "a target is one plugin, with one manifest"
        }
    }
}
