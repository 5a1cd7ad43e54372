import Foundation

/// Every staged output file and private temporary directory of this process, so that a run
/// ended by a signal removes them all (`removeAll`), as a failed run does.
public final class StagedFiles: @unchecked Sendable {
    public static let shared = StagedFiles()
    private let lock = NSLock()
    private var files: Set<String> = []
    private var directories: Set<String> = []

    func addFile(_ path: String) { locked { files.insert(path) } }
    func addDirectory(_ path: String) { locked { directories.insert(path) } }
    func remove(_ path: String) {
        locked {
            files.remove(path); directories.remove(path)
        }
    }

    /// Removes every staged file and directory still registered (from a signal handler's queue).
    public func removeAll() {
        let (f, d) = locked { () -> (Set<String>, Set<String>) in
            defer { files.removeAll(); directories.removeAll() }
            return (files, directories)
        }
        for path in f { unlink(path) }
        for path in d { try? FileManager.default.removeItem(atPath: path) }
    }

    private func locked<T>(_ body: () -> T) -> T {
        lock.lock()
        defer { lock.unlock() }
        return body()
    }
}
