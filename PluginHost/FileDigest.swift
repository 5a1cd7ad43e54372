import Crypto
import Foundation

/// SHA-256 of files, streamed so that a large executable is never held whole.
public enum FileDigest {
    public static func sha256Hex(path: String) throws -> String {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw PluginError.launchFailed(plugin: path, reason: "cannot read the file")
        }
        defer { try? handle.close() }
        var hasher = SHA256()
        while let chunk = try handle.read(upToCount: 1 << 20), !chunk.isEmpty {
            hasher.update(data: chunk)
        }
        return hasher.finalize().map { String(format: "%02x", $0) }.joined()
    }
}
