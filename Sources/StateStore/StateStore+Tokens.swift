import Foundation
import GRDB
import RemoteAuth

extension StateStore {
    /// Issues an API token for a user. Returns the token text ONCE
    /// (`fe_<8 hex id>_<43 chars base64url Ed25519 private key>`); only its public key (and the
    /// key of response MACs, derived one way) is stored, so a lost token cannot be shown again
    /// and nothing stored can sign a request: revoke it and issue another.
    public func issueToken(for name: String, label: String, expiresAt: Date?) throws -> (token: String, record: APIToken) {
        try Validation.checkLabel(label, what: "token label")
        let createdAt = Timestamp.truncated(now())
        if let expiresAt, expiresAt <= createdAt {
            throw StoreError.invalid(what: "token expiry", reason: "it is in the past")
        }
        var token = APITokenText.random()
        guard let publicKey = token.signingKey?.publicKey.rawRepresentation else {
            throw StoreError.invalid(what: "token", reason: "its key pair could not be made")
        }
        let (record, text) = try write { db -> (APIToken, String) in
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
            let responseKey = RequestSigning.responseKey(token: token.text).withUnsafeBytes { Data($0) }
            try db.execute(
                sql: """
                    INSERT INTO apiToken (id, userID, label, publicKey, responseKey, createdAt, expiresAt, revoked)
                    VALUES (?, ?, ?, ?, ?, ?, ?, 0)
                    """,
                arguments: [
                    record.id, userID, label, publicKey, responseKey, Timestamp.text(createdAt),
                    record.expiresAt.map(Timestamp.text),
                ])
            return (record, token.text)
        }
        return (text, record)
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
