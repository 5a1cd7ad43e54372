import Foundation
import GRDB

extension StateStore {
    /// Issues an API token for a user. Returns the token text ONCE
    /// (`fe_<8 hex id>_<43 chars base64url secret>`); only a salted slow hash of it is
    /// stored, so a lost token cannot be shown again: revoke it and issue another.
    public func issueToken(for name: String, label: String, expiresAt: Date?) throws -> (token: String, record: APIToken) {
        try Validation.checkLabel(label, what: "token label")
        let createdAt = Timestamp.truncated(now())
        if let expiresAt, expiresAt <= createdAt {
            throw StoreError.invalid(what: "token expiry", reason: "it is in the past")
        }
        var token = APITokenText.random()
        // The hash covers the secret only, so the id can be drawn again below.
        let secretHash = try PasswordHash.make(token.secret)
        let record = try write { db -> APIToken in
            guard let user = try User.filter(Column("name") == name).fetchOne(db), let userID = user.id else {
                throw StoreError.notFound(what: "user \(Validation.shown(userName: name))")
            }
            guard !user.disabled else {
                throw StoreError.invalid(what: "user '\(name)'", reason: "the user is disabled; enable it first")
            }
            // The id is public and random: draw again in the unlikely case it is taken.
            while try APIToken.exists(db, key: token.id) {
                token = APITokenText(id: APITokenText.random().id, secret: token.secret)
            }
            let record = APIToken(
                id: token.id, userID: userID, label: label, createdAt: createdAt,
                expiresAt: expiresAt.map(Timestamp.truncated))
            try db.execute(
                sql: """
                    INSERT INTO apiToken (id, userID, label, secretHash, createdAt, expiresAt, revoked)
                    VALUES (?, ?, ?, ?, ?, ?, 0)
                    """,
                arguments: [
                    record.id, userID, label, secretHash, Timestamp.text(createdAt),
                    record.expiresAt.map(Timestamp.text),
                ])
            return record
        }
        return (token.text, record)
    }

    /// Revokes a token by its public id; revoking twice is harmless.
    public func revokeToken(id: String) throws {
        try write { db in
            try db.execute(sql: "UPDATE apiToken SET revoked = 1 WHERE id = ?", arguments: [id])
            guard db.changesCount == 1 else { throw StoreError.notFound(what: "token '\(id.prefix(8))'") }
        }
    }

    /// A user's tokens, oldest first.
    public func tokens(for name: String) throws -> [APIToken] {
        try read { db in
            guard let user = try User.filter(Column("name") == name).fetchOne(db) else {
                throw StoreError.notFound(what: "user \(Validation.shown(userName: name))")
            }
            return try APIToken.filter(Column("userID") == user.id).order(Column("createdAt"), Column("id")).fetchAll(db)
        }
    }
}
