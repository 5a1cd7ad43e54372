import FeatureExtractorSupport
import Foundation
import PluginProtocol

/// Puts a built plugin into a plugin directory: copies the executable and writes
/// the manifest with the executable's digest pinned.
public enum PluginInstaller {
    /// - Returns: the installed package directory.
    /// With `signingKey`, the manifest names it as publisher and is signed (`plugin.json.sig`).
    @discardableResult
    public static func install(
        manifestTemplate: String, executable: String, into pluginsDirectory: String,
        signingKey: SigningKey? = nil
    ) throws -> String {
        var manifest = try PluginManifest.parse(
            try PluginLocator.readLimited(manifestTemplate, limit: PluginManifest.maxBytes),
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
        manifest.publisherKey = signingKey?.id ?? manifest.publisherKey
        guard rename(temp, target) == 0 else {
            try? fm.removeItem(atPath: temp)
            throw PluginError.launchFailed(plugin: manifest.name, reason: "cannot install into \(package) (errno \(errno))")
        }
        let manifestPath = package + "/" + PluginManifest.fileName
        let bytes = try manifest.encoded()
        try writeAtomically(bytes, to: manifestPath)
        if let signingKey {
            try writeAtomically(
                try DetachedSignature.sign(bytes, kind: .manifest, with: signingKey).encoded(), to: manifestPath + ".sig")
        } else {
            unlink(manifestPath + ".sig")  // a stale signature would not match the new manifest anyway
        }
        return package
    }

    /// Signs an installed package's manifest with `key`, making it the publisher.
    public static func sign(packageDirectory dir: String, with key: SigningKey) throws {
        let path = dir + "/" + PluginManifest.fileName
        var manifest = try PluginManifest.parse(try PluginLocator.readLimited(path, limit: PluginManifest.maxBytes), source: path)
        guard manifest.sha256 != nil else {
            throw PluginError.badManifest(path, "has no sha256 for its executable; install the plugin first")
        }
        manifest.publisherKey = key.id
        let bytes = try manifest.encoded()
        try writeAtomically(bytes, to: path)
        try writeAtomically(try DetachedSignature.sign(bytes, kind: .manifest, with: key).encoded(), to: path + ".sig")
    }

    static func writeAtomically(_ data: Data, to path: String) throws {
        do {
            try AtomicFileWriter.write(data, to: path)
        } catch let error as FileError {
            throw PluginError.badManifest(path, "cannot be written (\(error.message))")
        }
    }
}
