import Crypto
import FeatureExtractorSupport
import Foundation
import StateStore

/// The server's model storage: content files named by their SHA-256, beside staging files of
/// uploads in progress (`.upload-*`) and atomic writes (`*.tmp-*`). One server per directory.
public enum StorageDirectory {
    /// Makes a rename in `directory` durable (best effort).
    static func sync(_ directory: String) {
        let fd = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { return }
        fsync(fd)
        close(fd)
    }

    /// Whether `name` is a staging file: an upload or an atomic write that never finished.
    static func isStaging(_ name: String) -> Bool {
        name.hasPrefix(StagedUpload.prefix) || name.contains(".tmp-")
    }

    /// Removes the staging files a crash or `kill -9` left behind; returns their names. Run at
    /// start, before any request: no upload of this server is in progress then.
    @discardableResult
    public static func removeStale(_ directory: String) -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        let stale = names.filter(isStaging).sorted()
        for name in stale { unlink(directory + "/" + name) }
        return stale
    }

    /// What `serve --check-storage` finds.
    public struct Report: Sendable, Equatable {
        /// Content files no model version names (safe to delete).
        public var orphans: [String] = []
        /// Digests a model version names whose file is missing or does not match.
        public var missing: [String] = []
        public var damaged: [String] = []
        /// Staging files (an upload or write in progress, or left by a crash).
        public var staging: [String] = []

        public var isClean: Bool { orphans.isEmpty && missing.isEmpty && damaged.isEmpty && staging.isEmpty }
    }

    /// Compares the directory with the database's model versions, hashing every content file.
    public static func check(_ directory: String, store: StateStore) throws -> Report {
        let referenced = try store.remoteModelDigests()
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        var report = Report()
        for name in names.sorted() {
            if isStaging(name) {
                report.staging.append(name)
            } else if !referenced.contains(name) {
                report.orphans.append(name)
            } else if sha256(of: directory + "/" + name) != name {
                report.damaged.append(name)
            }
        }
        report.missing = referenced.subtracting(names).sorted()
        return report
    }

    private static func sha256(of path: String) -> String? {
        guard let handle = FileHandle(forReadingAtPath: path) else { return nil }
        defer { try? handle.close() }
        var hasher = SHA256()
        while let chunk = try? handle.read(upToCount: 1 << 20), !chunk.isEmpty { hasher.update(data: chunk) }
        return hasher.finalize().hex
    }
}
