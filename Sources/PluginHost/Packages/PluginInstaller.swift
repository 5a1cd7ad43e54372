import Crypto
import FeatureExtractorSupport
import Foundation
import PluginProtocol

/// Puts a built plugin into a plugin directory: copies the executable and writes
/// the manifest with the executable's digest pinned.
public enum PluginInstaller {
    /// The largest executable installed (read whole, to hash exactly what is written).
    static let maxExecutableBytes = 1 << 30

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
        let package = "\(pluginsDirectory)/\(manifest.role.rawValue)s/\(manifest.name)"
        try FileManager.default.createDirectory(atPath: package, withIntermediateDirectories: true)
        // The digest is of the very bytes installed, which appear whole or not at all.
        let bytes: [UInt8]
        do {
            bytes = try BoundedFile.read(path: executable, maxBytes: maxExecutableBytes, what: "a plugin executable")
            try AtomicFileWriter.write(bytes, to: package + "/" + manifest.executable, mode: 0o755)
        } catch {
            throw PluginError.launchFailed(plugin: manifest.name, reason: "cannot install into \(package): \(error)")
        }
        manifest.sha256 = SHA256.hash(data: bytes).hex
        manifest.publisherKey = signingKey?.id ?? manifest.publisherKey
        let manifestPath = package + "/" + PluginManifest.fileName
        let encoded = try manifest.encoded()
        try writeAtomically(encoded, to: manifestPath)
        if let signingKey {
            try writeAtomically(
                try DetachedSignature.sign(encoded, kind: .manifest, with: signingKey).encoded(), to: manifestPath + ".sig")
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
