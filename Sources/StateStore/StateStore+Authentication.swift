import Foundation
import GRDB

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

    /// The secret is checked before the token's state, so only its holder learns that a
    /// token is revoked or expired. An unknown id is refused at a small fixed cost (see
    /// `proveToken`); a known id with a wrong secret costs the slow hash, which the server
    /// bounds with a per-address budget of failed authentications.
    private func checkToken(_ text: String) throws -> (user: User?, reason: String) {
        let (proof, reason) = try proveToken(text)
        guard let proof else { return (nil, reason) }
        return try currentState(of: proof)
    }

    /// The slow half of token authentication (the salted hash of the secret). Its result
    /// may be cached by a caller that checks ``currentUser(for:)`` on every use.
    public func verifyTokenSecret(_ text: String) -> (proof: TokenProof?, reason: String) {
        do {
            return try proveToken(text)
        } catch {
            return (nil, "cannot check the token: \(error)")
        }
    }

    /// The fast half, for every use of a proven token: revoked, expired, a disabled user
    /// and a changed role take effect at once, without paying the slow hash again.
    public func currentUser(for proof: TokenProof) -> (user: User?, reason: String) {
        do {
            return try currentState(of: proof)
        } catch {
            return (nil, "cannot check the token: \(error)")
        }
    }

    private func proveToken(_ text: String) throws -> (proof: TokenProof?, reason: String) {
        guard let token = APITokenText(parsing: text) else {
            return (nil, "malformed token")
        }
        let secretHash = try read { db in
            try String.fetchOne(db, sql: "SELECT secretHash FROM apiToken WHERE id = ?", arguments: [token.id])
        }
        guard let secretHash else {
            // No slow hash for an id that does not exist: it would let anyone spend ~0.2 s of the
            // server's CPU per request with made-up tokens. The id is public (listings, audit
            // entries), so answering faster for an unknown one reveals nothing secret; a fixed-cost
            // comparison keeps this path itself independent of the secret given.
            _ = constantTimeEquals(Array(token.secret.utf8), Array(PasswordHash.unmatchable.utf8))
            return (nil, "unknown token \(token.id)")
        }
        guard PasswordHash.verify(token.secret, against: secretHash) else {
            return (nil, "wrong secret for token \(token.id)")
        }
        return (TokenProof(tokenID: token.id, secretHash: secretHash), "token \(token.id)")
    }

    private func currentState(of proof: TokenProof) throws -> (user: User?, reason: String) {
        let found = try read { db -> (record: APIToken, secretHash: String, user: User)? in
            guard let record = try APIToken.fetchOne(db, key: proof.tokenID),
                let secretHash = try String.fetchOne(
                    db, sql: "SELECT secretHash FROM apiToken WHERE id = ?",
                    arguments: [proof.tokenID]),
                let user = try User.fetchOne(db, key: record.userID)
            else { return nil }
            return (record, secretHash, user)
        }
        // A proof is for one stored secret: a token row replaced since is another token.
        guard let found, found.secretHash == proof.secretHash else {
            return (nil, "token \(proof.tokenID) no longer exists")
        }
        if found.record.revoked {
            return (nil, "token \(proof.tokenID) is revoked")
        }
        if let expiresAt = found.record.expiresAt, expiresAt <= now() {
            return (nil, "token \(proof.tokenID) expired at \(Timestamp.text(expiresAt))")
        }
        if found.user.disabled {
            return (nil, "user '\(found.user.name)' is disabled (token \(proof.tokenID))")
        }
        return (found.user, "token \(proof.tokenID) of user '\(found.user.name)'")
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
