import Foundation
import PluginProtocol

/// Puts a built plugin into a plugin directory: copies the executable and writes
/// the manifest with the executable's digest pinned.
public enum PluginInstaller {
    /// - Returns: the installed package directory.
    @discardableResult
    public static func install(manifestTemplate: String, executable: String, into pluginsDirectory: String) throws -> String {
        var manifest = try PluginManifest.parse(try PluginLocator.readLimited(manifestTemplate, limit: PluginManifest.maxBytes),
                                                source: manifestTemplate)
        let fm = FileManager.default
        let package = "\(pluginsDirectory)/\(manifest.role.rawValue)s/\(manifest.name)"
        try fm.createDirectory(atPath: package, withIntermediateDirectories: true)
        let target = package + "/" + manifest.executable
        let temp = package + "/.\(manifest.executable).tmp-\(getpid())"
        try? fm.removeItem(atPath: temp)
        try fm.copyItem(atPath: executable, toPath: temp)
        chmod(temp, 0o755)
        manifest.sha256 = try FileDigest.sha256Hex(path: temp)
        guard rename(temp, target) == 0 else {
            try? fm.removeItem(atPath: temp)
            throw PluginError.launchFailed(plugin: manifest.name, reason: "cannot install into \(package) (errno \(errno))")
        }
        let manifestTemp = package + "/.plugin.json.tmp-\(getpid())"
        try manifest.encoded().write(to: URL(fileURLWithPath: manifestTemp))
        guard rename(manifestTemp, package + "/" + PluginManifest.fileName) == 0 else {
            throw PluginError.launchFailed(plugin: manifest.name, reason: "cannot write the manifest in \(package) (errno \(errno))")
        }
        return package
    }
}
