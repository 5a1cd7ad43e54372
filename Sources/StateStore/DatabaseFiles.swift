import FeatureExtractorSupport
import Foundation

/// The files of a store on disk: the database, its `-wal` and `-shm` companions and the
/// audit key, all owner-only (0600) because they hold password hashes, the audit key and
/// who did what.
enum DatabaseFiles {
    static func companions(of path: String) -> [String] {
        [path + "-wal", path + "-shm"]
    }

    /// Makes sure the database can be opened for writing, before SQLite tries: creates the
    /// directory (0700) and an empty database file (0600) if missing, and refuses a
    /// read-only file, directory or file system with a clear error.
    ///
    /// Write permission is judged from the mode bits as well as `access(2)`, because root
    /// passes `access` for any file: a file or directory with no write bit at all was made
    /// read-only on purpose, and the store respects that even for root.
    static func prepare(_ path: String) throws {
        let directory = directory(of: path)
        if !FileManager.default.fileExists(atPath: directory) {
            do {
                try FileManager.default.createDirectory(
                    atPath: directory, withIntermediateDirectories: true,
                    attributes: [.posixPermissions: 0o700])
            } catch {
                guard isWritable(nearestExisting(directory)) else { throw StoreError.readOnly(path: path) }
                throw StoreError.database(path: path, detail: "cannot create its directory '\(directory)'")
            }
        }
        guard isWritable(directory) else { throw StoreError.readOnly(path: path) }
        var info = stat()
        if stat(path, &info) == 0 {
            guard isWritable(path) else { throw StoreError.readOnly(path: path) }
            for companion in companions(of: path) where FileManager.default.fileExists(atPath: companion) {
                guard isWritable(companion) else { throw StoreError.readOnly(path: path) }
            }
            return
        }
        let fd = open(path, O_CREAT | O_EXCL | O_RDWR | O_CLOEXEC, 0o600)
        if fd < 0 {
            let code = errno
            if code == EEXIST { return }  // another process just created it
            if code == EACCES || code == EROFS || code == EPERM { throw StoreError.readOnly(path: path) }
            throw StoreError.database(path: path, detail: "cannot create the file: \(String(cString: strerror(code)))")
        }
        _ = fchmod(fd, 0o600)  // whatever the umask
        close(fd)
    }

    /// Runs the opening of a store (WAL set-up, integrity check, migrations, key creation)
    /// while holding an exclusive `flock` on the database's directory, waiting at most
    /// `timeout` seconds for it.
    ///
    /// Why: processes opening a NEW database at the same moment race in ways SQLite's busy
    /// timeout does not cover: converting to WAL and creating the first tables upgrade read
    /// locks to write locks, which SQLite refuses at once (SQLITE_BUSY) to avoid deadlocks,
    /// and GRDB's migrator reads `grdb_migrations` while another process creates it. Taking
    /// turns for this short phase removes those races; once open, stores share the file
    /// through SQLite's own locking. The directory is locked, not the database file, because
    /// opening and closing another descriptor on the database file would drop SQLite's POSIX
    /// locks on it; and not a lock file, to leave no extra file behind.
    static func whileSettingUp<T>(_ path: String, timeout: Double, _ body: () throws -> T) throws -> T {
        let directory = directory(of: path)
        let fd = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else {
            throw StoreError.database(path: path, detail: "cannot open its directory: \(String(cString: strerror(errno)))")
        }
        defer { close(fd) }  // also releases the lock
        let deadline = Date().addingTimeInterval(timeout)
        while flock(fd, LOCK_EX | LOCK_NB) != 0 {
            guard errno == EWOULDBLOCK || errno == EINTR else { break }  // no flock here (some network file systems): go on
            guard Date() < deadline else { throw StoreError.locked(path: path) }
            usleep(5_000)
        }
        return try body()
    }

    /// Takes group and other permissions away from the database and its companions, in
    /// case they were created or copied with looser ones. (SQLite gives `-wal` and `-shm`
    /// the database file's mode when it creates them.)
    static func restrictModes(_ path: String) {
        for file in [path] + companions(of: path) {
            var info = stat()
            if stat(file, &info) == 0, info.st_mode & 0o077 != 0 {
                _ = chmod(file, info.st_mode & 0o700)
            }
        }
    }

    static func directory(of path: String) -> String { PathComponents.directory(of: path) }

    static func isWritable(_ path: String) -> Bool {
        var info = stat()
        guard stat(path, &info) == 0 else { return false }
        if info.st_mode & 0o222 == 0 { return false }
        if access(path, W_OK) != 0 { return false }
        var fileSystem = statvfs()
        if statvfs(path, &fileSystem) == 0, fileSystem.f_flag & UInt(ST_RDONLY) != 0 { return false }
        return true
    }

    private static func nearestExisting(_ directory: String) -> String {
        var current = directory
        while !FileManager.default.fileExists(atPath: current) {
            let parent = PathComponents.directory(of: current)
            guard parent != current else { break }
            current = parent
        }
        return current
    }
}
