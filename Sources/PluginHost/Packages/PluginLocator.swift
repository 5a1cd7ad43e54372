import FeatureExtractorSupport
import Foundation
import PluginProtocol

/// A plugin package found on disk, manifest checked and executable verified.
public struct PluginPackage: Sendable, Equatable {
    public var directory: String
    public var manifest: PluginManifest
    public var executablePath: String
    /// Id of the trusted key whose signature was verified (nil when not verified).
    public var signer: String?

    public init(directory: String, manifest: PluginManifest, executablePath: String, signer: String? = nil) {
        self.directory = directory
        self.manifest = manifest
        self.executablePath = executablePath
        self.signer = signer
    }
}

/// Finds plugins by name in the plugin directories.
///
/// Layout: `<dir>/<role>s/<name>/plugin.json` plus the executable it names.
/// Names are validated before they touch the file system, so a name can never
/// be a path, and the package must resolve to a place inside its directory.
public struct PluginLocator {
    public var directories: [String]
    /// Provenance checks; nil only where nothing will be run (listing, installing).
    public var verification: ManifestVerification?

    public init(directories: [String], verification: ManifestVerification?) {
        self.directories = directories
        self.verification = verification
    }

    public func locate(name: String, role: PluginRole) throws -> PluginPackage {
        guard PluginName.isValid(name) else { throw PluginError.invalidName(name) }
        let fm = FileManager.default
        for dir in directories {
            let root = URL(fileURLWithPath: dir).standardizedFileURL.resolvingSymlinksInPath()
            let package = root.appendingPathComponent("\(role.rawValue)s").appendingPathComponent(name)
            var isDir: ObjCBool = false
            guard fm.fileExists(atPath: package.path, isDirectory: &isDir), isDir.boolValue else { continue }
            let resolved = package.resolvingSymlinksInPath().path
            guard resolved.hasPrefix(root.path + "/") else {
                throw PluginError.badManifest(package.path, "the package resolves outside its plugin directory (\(resolved))")
            }
            return try load(packageDirectory: resolved, expectedName: name, role: role)
        }
        throw PluginError.notFound(name: name, role: role, searched: directories, available: installedNames(role))
    }

    /// The plugin names of `role` in the directories, for a "not found" that says what exists.
    public func installedNames(_ role: PluginRole) -> [String] {
        let names = directories.flatMap { dir in
            (try? FileManager.default.contentsOfDirectory(atPath: dir + "/\(role.rawValue)s")) ?? []
        }
        return Array(Set(names.filter(PluginName.isValid))).sorted()
    }

    /// Reads and checks a package directory: manifest fields, name and role, executable digest.
    public func load(packageDirectory dir: String, expectedName: String?, role: PluginRole?) throws -> PluginPackage {
        let manifestPath = dir + "/" + PluginManifest.fileName
        let bytes = try Self.readLimited(manifestPath, limit: PluginManifest.maxBytes)
        let manifest = try PluginManifest.parse(bytes, source: manifestPath)
        if let expectedName, manifest.name != expectedName {
            throw PluginError.badManifest(manifestPath, "names plugin '\(manifest.name)' but sits in directory '\(expectedName)'")
        }
        if let role, manifest.role != role {
            throw PluginError.badManifest(
                manifestPath, "declares role \(manifest.role.rawValue), but it was looked up as a \(role.rawValue)")
        }
        let signer = try verification?.verify(manifest, bytes: bytes, path: manifestPath)
        let executable = dir + "/" + manifest.executable
        var st = stat()
        guard lstat(executable, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG else {
            throw PluginError.badManifest(manifestPath, "executable '\(manifest.executable)' is missing or not a regular file")
        }
        guard access(executable, X_OK) == 0 else {
            throw PluginError.badManifest(manifestPath, "'\(manifest.executable)' is not executable")
        }
        guard let expected = manifest.sha256 else {
            throw PluginError.badManifest(
                manifestPath, "has no sha256 for its executable; install it with 'feature-extractor plugin install'")
        }
        let actual = try FileDigest.sha256Hex(path: executable)
        guard actual == expected else { throw PluginError.digestMismatch(path: executable, expected: expected, actual: actual) }
        if let signer, let verification {
            try verification.trust.recordVersion(plugin: manifest.name, keyID: signer, version: manifest.version)
        }
        return PluginPackage(directory: dir, manifest: manifest, executablePath: executable, signer: signer)
    }

    /// Every valid package under the directories, for listings.
    public func all() -> [(role: PluginRole, name: String)] {
        var out: [(PluginRole, String)] = []
        for dir in directories {
            for role in PluginRole.allCases {
                let names = (try? FileManager.default.contentsOfDirectory(atPath: "\(dir)/\(role.rawValue)s")) ?? []
                out += names.filter(PluginName.isValid).sorted().map { (role, $0) }
            }
        }
        return out
    }

    /// Reads a small file whole, refusing one over `limit` bytes (manifests, keys, signatures).
    public static func readLimited(_ path: String, limit: Int) throws -> Data {
        do {
            return Data(try BoundedFile.read(path: path, maxBytes: limit, what: "a plugin file"))
        } catch {
            throw PluginError.badManifest(path, error.message)
        }
    }
}
