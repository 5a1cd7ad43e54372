/// Evidence that a token's secret matched its stored hash: what a cache may keep in place
/// of the secret, so that the slow hash is paid once while the token's state is still
/// checked on every use (``StateStore/currentUser(for:)``).
public struct TokenProof: Sendable, Equatable {
    /// The token's public id.
    public let tokenID: String
    /// The stored hash the secret matched; a token replaced since no longer matches it.
    let secretHash: String
}
