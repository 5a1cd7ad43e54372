import GRDB

extension StoreError {
    /// Turns an SQLite error into the store error an operator can act on.
    ///
    /// Only SQLite's own message is kept, never the SQL statement or its arguments, which
    /// may hold password hashes or other values that have no place in a terminal or a log.
    static func wrapping(_ error: any Error, path: String) -> any Error {
        guard let error = error as? DatabaseError else { return error }
        let message = error.message ?? "SQLite error \(error.resultCode.rawValue)"
        switch error.resultCode {
        case .SQLITE_BUSY, .SQLITE_LOCKED:
            return StoreError.locked(path: path)
        case .SQLITE_READONLY:
            return StoreError.readOnly(path: path)
        case .SQLITE_CORRUPT, .SQLITE_NOTADB:
            return StoreError.corrupt(path: path, detail: message)
        case .SQLITE_CANTOPEN, .SQLITE_PERM, .SQLITE_AUTH:
            return StoreError.database(path: path, detail: "cannot open the database: \(message)")
        default:
            return StoreError.database(path: path, detail: message)
        }
    }
}
