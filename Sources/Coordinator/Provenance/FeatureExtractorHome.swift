import FeatureExtractorSupport
import Foundation

/// Where the tool keeps its state by default: the database, its audit key and
/// the local signing key. `FEATURE_EXTRACTOR_HOME` moves all of it.
public enum FeatureExtractorHome {
    /// The data home (`DataHome`): `$FEATURE_EXTRACTOR_HOME`, else an absolute
    /// `$XDG_DATA_HOME/feature-extractor`, else `~/.local/share/feature-extractor`.
    public static func directory(_ env: [String: String] = ProcessInfo.processInfo.environment) -> String {
        DataHome.directory(environment: env)
    }

    /// The key that signs models this machine saves (and, at set-up, the bundled plugins).
    public static func localSigningKey(_ env: [String: String] = ProcessInfo.processInfo.environment) -> String {
        directory(env) + "/keys/local.key"
    }

    /// Creates the directory (mode 0700) if needed.
    public static func ensure(_ path: String) throws {
        try FileManager.default.createDirectory(
            atPath: path, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
    }
}
