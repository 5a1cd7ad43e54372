import Foundation

/// Directories a test process makes once (the test home, the installed plugins) and
/// removes when it exits: a suite run leaves nothing behind in the temporary directory.
public enum ProcessScratch {
    private static let lock = NSLock()
    nonisolated(unsafe) private static var paths: [String] = []
    private static let removalAtExit: Void = { atexit { ProcessScratch.removeAll() } }()

    /// `$TMPDIR/<prefix>-<pid>`, emptied now and removed at exit.
    public static func directory(_ prefix: String) -> String {
        let dir = NSTemporaryDirectory() + "\(prefix)-\(getpid())"
        try? FileManager.default.removeItem(atPath: dir)
        lock.lock()
        paths.append(dir)
        lock.unlock()
        _ = removalAtExit
        return dir
    }

    private static func removeAll() {
        lock.lock()
        defer { lock.unlock() }
        for path in paths { try? FileManager.default.removeItem(atPath: path) }
    }
}
