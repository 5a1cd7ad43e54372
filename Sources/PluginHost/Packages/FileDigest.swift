import Crypto
import FeatureExtractorSupport
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
        return hasher.finalize().hex
    }

    /// SHA-256 of an open file, read from its start with pread (the descriptor's offset is untouched).
    public static func sha256Hex(fd: Int32) throws -> String {
        var hasher = SHA256()
        var buffer = [UInt8](repeating: 0, count: 1 << 20)
        var offset: off_t = 0
        while true {
            let n = buffer.withUnsafeMutableBytes { pread(fd, $0.baseAddress!, $0.count, offset) }
            if n < 0 && errno == EINTR { continue }
            guard n >= 0 else { throw PluginError.launchFailed(plugin: "executable", reason: "cannot read it (errno \(errno))") }
            if n == 0 { break }
            hasher.update(data: buffer[0..<n])
            offset += off_t(n)
        }
        return hasher.finalize().hex
    }
}
