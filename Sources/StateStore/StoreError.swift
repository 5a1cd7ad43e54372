import Foundation

/// Everything that can go wrong with the store, worded for the operator who has to fix it.
///
/// No case ever carries a secret: passwords, token texts and keys are never put into an
/// error, and an authentication failure says nothing about why it failed (the reason goes
/// to the audit log only, see ``StateStore/authenticateWithReason(token:)``).
public enum StoreError: Error, CustomStringConvertible, Equatable {
    /// The database has migrations applied that this version does not know: it was written
    /// by a newer feature-extractor, and writing to it could damage it.
    case newerSchema(path: String, unknown: [String])
    /// The file is not an SQLite database, or fails its integrity check.
    case corrupt(path: String, detail: String)
    /// The database, its directory or its file system cannot be written.
    case readOnly(path: String)
    /// Another process held the database lock for longer than the busy timeout.
    case locked(path: String)
    /// Bad credentials; deliberately the same whatever the cause.
    case authenticationFailed
    /// A user, token, run or key that does not exist.
    case notFound(what: String)
    /// An argument the store refuses (bad name, short password, malformed version, ...).
    case invalid(what: String, reason: String)
    /// The audit key file is missing (or unusable) while the audit log already has entries:
    /// new entries could not be authenticated, so none are written.
    case auditKeyMissing(path: String)
    /// Any other SQLite failure (disk full, I/O error, ...), with SQLite's own message.
    case database(path: String, detail: String)

    public var description: String {
        switch self {
        case let .newerSchema(path, unknown):
            return "\(path): the database was written by a newer version of feature-extractor "
                + "(unknown migrations: \(unknown.joined(separator: ", "))); "
                + "upgrade feature-extractor, or use another database (FEATURE_EXTRACTOR_DB)"
        case let .corrupt(path, detail):
            return "\(path): not a usable database (\(detail)); restore it from a backup, "
                + "or move it (and its -wal, -shm and .key files) away to start a new one"
        case let .readOnly(path):
            return "\(path): the database, its directory or its file system is read-only; "
                + "feature-extractor must be able to write the file and create '-wal' and '-shm' files beside it. "
                + "Make them writable, or point FEATURE_EXTRACTOR_DB at a writable location"
        case let .locked(path):
            return "\(path): the database is locked by another process for longer than the busy timeout; "
                + "wait for the other feature-extractor process to finish and try again"
        case .authenticationFailed:
            return "authentication failed"
        case let .notFound(what):
            return "\(what) not found"
        case let .invalid(what, reason):
            return "invalid \(what): \(reason)"
        case let .auditKeyMissing(path):
            return "\(path): the audit key is missing or unusable while the audit log has entries, "
                + "so new entries could not be authenticated and none are written; "
                + "restore the key file from a backup (mode 0600), or move the database away to start a new log"
        case let .database(path, detail):
            return "\(path): database error: \(detail)"
        }
    }
}
