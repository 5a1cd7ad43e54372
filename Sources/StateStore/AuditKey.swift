import Crypto
import FeatureExtractorSupport
import Foundation

/// The secret that authenticates the audit log: 32 random bytes in `<database>.key`, mode 0600.
///
/// Kept in its own file rather than in the database so that a copy of the database (a
/// backup, a file shared for support) does not carry it, and so that it can be given
/// tighter protection than the database itself. Whoever can read it and write the
/// database can forge the log; the MAC protects against everyone else.
enum AuditKey {
    case present(SymmetricKey)
    case missing
    /// The file exists but cannot serve as a key (wrong size, unreadable); the reason says why.
    case unusable(String)

    static let byteCount = 32

    static func path(forDatabase databasePath: String) -> String {
        databasePath + ".key"
    }

    var key: SymmetricKey? {
        if case let .present(key) = self { return key }
        return nil
    }

    /// Reads the key file, tightening its mode to 0600 if it is readable by others.
    static func load(path: String) -> AuditKey {
        let fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)
        guard fd >= 0 else {
            let code = errno
            return code == ENOENT ? .missing : .unusable("cannot read it: \(String(cString: strerror(code)))")
        }
        defer { close(fd) }
        var info = stat()
        if fstat(fd, &info) == 0, info.st_mode & 0o077 != 0 {
            _ = fchmod(fd, 0o600)
        }
        var buffer = [UInt8](repeating: 0, count: byteCount + 1)
        var total = 0
        while total < buffer.count {
            let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress! + total, $0.count - total) }
            if count < 0 {
                if errno == EINTR { continue }
                return .unusable("cannot read it: \(String(cString: strerror(errno)))")
            }
            if count == 0 { break }
            total += count
        }
        guard total == byteCount else {
            return .unusable("it holds \(total) bytes instead of \(byteCount)")
        }
        return .present(SymmetricKey(data: buffer[0..<byteCount]))
    }

    /// Writes a new random key, fully written and synced before it appears under its name
    /// (replacing an unusable file there). The caller holds the database's write lock, so
    /// two processes cannot both create one.
    static func create(path: String) throws -> SymmetricKey {
        let key = SymmetricKey(size: .bits256)
        do {
            try AtomicFileWriter.write(key.withUnsafeBytes { Array($0) }, to: path, mode: 0o600)
        } catch let error as FileError {
            throw fileError(path, "cannot install the audit key", error.systemCode ?? EIO)
        }
        return key
    }

    private static func fileError(_ path: String, _ what: String, _ code: Int32) -> StoreError {
        if code == EROFS || code == EACCES || code == EPERM {
            return .readOnly(path: path)
        }
        return .database(path: path, detail: "\(what): \(String(cString: strerror(code)))")
    }
}
