import Foundation
import GRDB
import RemoteAuth

extension StateStore {
    /// The user a token belongs to. Throws ``StoreError/authenticationFailed``, the same
    /// error whatever the reason (unknown, wrong secret, revoked, expired, disabled user);
    /// the caller records the reason from ``authenticateWithReason(token:)`` in the audit log.
    /// A database that cannot be read throws its own error (locked, corrupt, ...), which
    /// says nothing about the token either.
    public func authenticate(token: String) throws -> User {
        guard let user = try checkToken(token).user else { throw StoreError.authenticationFailed }
        return user
    }

    /// The user, if the password is right. Fails like ``authenticate(token:)``.
    public func authenticate(user: String, password: String) throws -> User {
        guard let found = try checkPassword(user: user, password: password).user else {
            throw StoreError.authenticationFailed
        }
        return found
    }

    /// The user a token belongs to (nil if refused) and why, for the audit entry: the
    /// reason names the token by its public id, never its secret.
    public func authenticateWithReason(token: String) -> (user: User?, reason: String) {
        do {
            return try checkToken(token)
        } catch {
            return (nil, "cannot check the token: \(error)")
        }
    }

    /// The user (nil if refused) and why, for the audit entry of a password login.
    public func authenticateWithReason(user name: String, password: String) -> (user: User?, reason: String) {
        do {
            return try checkPassword(user: name, password: password)
        } catch {
            return (nil, "cannot check the password: \(error)")
        }
    }

    /// The token's private key is checked before the token's state, so only its holder learns
    /// that a token is revoked or expired. No slow hash: the stored public key is compared with
    /// the one the given private key makes, in constant time.
    private func checkToken(_ text: String) throws -> (user: User?, reason: String) {
        guard let token = APITokenText(parsing: text), let key = token.signingKey else {
            return (nil, "malformed token")
        }
        switch try tokenKeys(id: token.id) {
        case nil:
            return (nil, "unknown token \(token.id)")
        case .legacy:
            return (nil, Self.legacyTokenReason(token.id))
        case .keyPair(let publicKey, _):
            guard constantTimeEquals(key.publicKey.rawRepresentation, publicKey) else {
                return (nil, "wrong key for token \(token.id)")
            }
            return try currentState(ofToken: token.id)
        }
    }

    /// Why a token issued before key pairs is refused, and what to do.
    public static func legacyTokenReason(_ id: String) -> String {
        "token \(id) was issued before signed requests and no longer works: re-issue it "
            + "(feature-extractor user token NAME) and revoke it (user revoke-token \(id))"
    }

    /// What a request's signature is checked with: the token's public key and the key of the
    /// server's response MACs; `.legacy` for a token issued before key pairs (refused), nil for an
    /// id that names no token. Nothing here can sign a request.
    public func tokenKeys(id: String) throws -> TokenKeys? {
        try read { db in
            guard let row = try Row.fetchOne(db, sql: "SELECT publicKey, responseKey FROM apiToken WHERE id = ?", arguments: [id])
            else { return nil }
            guard let publicKey = row["publicKey"] as Data?, let responseKey = row["responseKey"] as Data? else {
                return .legacy
            }
            return .keyPair(publicKey: publicKey, responseKey: responseKey)
        }
    }

    /// The user of a token whose key was proven (by a request's signature), read afresh: revoked,
    /// expired, a disabled user and a changed role take effect on the very next request.
    public func currentUser(ofToken id: String) -> (user: User?, reason: String) {
        do {
            return try currentState(ofToken: id)
        } catch {
            return (nil, "cannot check the token: \(error)")
        }
    }

    private func currentState(ofToken id: String) throws -> (user: User?, reason: String) {
        let found = try read { db -> (record: APIToken, user: User)? in
            guard let record = try APIToken.fetchOne(db, key: id), let user = try User.fetchOne(db, key: record.userID)
            else { return nil }
            return (record, user)
        }
        guard let found else {
            return (nil, "token \(id) no longer exists")
        }
        if found.record.revoked {
            return (nil, "token \(id) is revoked")
        }
        if let expiresAt = found.record.expiresAt, expiresAt <= now() {
            return (nil, "token \(id) expired at \(Timestamp.text(expiresAt))")
        }
        if found.user.disabled {
            return (nil, "user '\(found.user.name)' is disabled (token \(id))")
        }
        return (found.user, "token \(id) of user '\(found.user.name)'")
    }

    private func checkPassword(user name: String, password: String) throws -> (user: User?, reason: String) {
        let found = try read { db -> (user: User, passwordHash: String?)? in
            guard let user = try User.filter(Column("name") == name).fetchOne(db) else { return nil }
            let passwordHash = try String.fetchOne(db, sql: "SELECT passwordHash FROM user WHERE id = ?", arguments: [user.id])
            return (user, passwordHash)
        }
        let shown = Validation.shown(userName: name)
        guard let found else {
            _ = PasswordHash.verify(password, against: PasswordHash.unmatchable)
            return (nil, "unknown user \(shown)")
        }
        guard let passwordHash = found.passwordHash else {
            _ = PasswordHash.verify(password, against: PasswordHash.unmatchable)
            return (nil, "user \(shown) has no password (tokens only)")
        }
        guard PasswordHash.verify(password, against: passwordHash) else {
            return (nil, "wrong password for user \(shown)")
        }
        if found.user.disabled {
            return (nil, "user \(shown) is disabled")
        }
        return (found.user, "password of user \(shown)")
    }
}
