import Crypto
import FeatureExtractorSupport
import Foundation
import Hummingbird

/// An upload's body, streamed to a hidden file in the storage directory while its SHA-256 is
/// computed: memory stays flat whatever the size, and nothing is named for its content until
/// the handler has reserved the version (`ServerRoutes.putModel`). Whoever ends the request
/// removes the file if it is still there (`discard`).
struct StagedUpload: Sendable {
    let path: String
    let sha256: String
    let size: Int

    static let prefix = ".upload-"

    enum Failure: Error {
        case tooLarge
        case storage(String)
    }

    /// Streams `body` into a new file under `directory`, at most `limit` bytes.
    static func receive(_ body: RequestBody, into directory: String, limit: Int) async throws -> StagedUpload {
        let path = "\(directory)/\(prefix)\(UUID().uuidString.lowercased())"
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw Failure.storage("cannot create \(path): \(String(cString: strerror(errno)))") }
        var hasher = SHA256()
        var size = 0
        do {
            defer { close(fd) }
            for try await buffer in body {
                size += buffer.readableBytes
                guard size <= limit else { throw Failure.tooLarge }
                try buffer.withUnsafeReadableBytes { bytes in
                    hasher.update(bufferPointer: bytes)
                    var written = 0
                    while written < bytes.count {
                        let n = write(fd, bytes.baseAddress! + written, bytes.count - written)
                        if n < 0 && errno == EINTR { continue }
                        guard n > 0 else { throw Failure.storage("write failed: \(String(cString: strerror(errno)))") }
                        written += n
                    }
                }
            }
            guard fsync(fd) == 0 else { throw Failure.storage("fsync failed: \(String(cString: strerror(errno)))") }
        } catch {
            unlink(path)
            throw error
        }
        return StagedUpload(path: path, sha256: hasher.finalize().hex, size: size)
    }

    /// Removes the staged file unless it was moved into place.
    func discard() { unlink(path) }
}
