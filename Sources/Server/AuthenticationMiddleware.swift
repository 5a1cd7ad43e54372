import Crypto
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import RemoteAuth
import StateStore

/// Everything a request passes before a handler sees it, in order: size limits, the
/// per-address rate limit, the bearer token, the per-token rate limit, the timestamp
/// window, the bounded body, the request MAC, and the nonce (a replay is refused).
/// Every request, allowed or refused, leaves an audit entry.
struct AuthenticationMiddleware: RouterMiddleware {
    typealias Context = ServerContext
    let store: StateStore
    let config: ServerConfiguration
    let perAddress: RateLimiter
    let perToken: RateLimiter
    let tokens: TokenCache

    func handle(_ request: Request, context: ServerContext, next: (Request, ServerContext) async throws -> Response) async throws
        -> Response
    {
        let route = "\(request.method.rawValue) \(request.uri.path)"
        var actor = "anonymous@\(context.remoteAddress)"
        do {
            let response = try await check(request, context: context, actor: &actor, next: next)
            try store.append(
                AuditEvent(
                    actor: actor, action: "remote.request", target: Self.target(route),
                    outcome: response.status.code < 400 ? .success : .failure,
                    details: ["status": String(response.status.code), "address": context.remoteAddress]))
            return response
        } catch let error as APIError {
            do {
                _ = try store.append(
                    AuditEvent(
                        actor: actor, action: "remote.request", target: Self.target(route), outcome: .refused,
                        details: [
                            "status": String(error.status.code), "reason": error.message,
                            "address": context.remoteAddress,
                        ]))
            } catch let auditError {
                // The refusal stands either way; an entry that could not be written must not go unnoticed.
                context.logger.error("cannot audit a refused request (\(route)): \(auditError)")
            }
            throw error
        }
    }

    private func check(
        _ request: Request, context: ServerContext, actor: inout String,
        next: (Request, ServerContext) async throws -> Response
    ) async throws -> Response {
        guard request.uri.path.utf8.count <= config.maxPathLength, (request.uri.query ?? "").utf8.count <= config.maxPathLength
        else {
            throw APIError(status: .uriTooLong, message: "path too long")
        }
        let headerBytes = request.headers.reduce(0) { $0 + $1.name.rawName.utf8.count + $1.value.utf8.count + 4 }
        guard headerBytes <= config.maxHeaderBytes else { throw APIError(status: .init(code: 431), message: "headers too large") }
        if let wait = perAddress.take(context.remoteAddress) {
            throw APIError(status: .tooManyRequests, message: "too many requests from this address", retryAfter: wait)
        }
        if request.uri.path == RemoteAPI.prefix + "/openapi.yaml" { return try await next(request, context) }

        guard let authorization = request.headers[.authorization], authorization.hasPrefix("Bearer ") else {
            throw APIError.unauthorized("missing bearer token")
        }
        let token = String(authorization.dropFirst(7))
        guard let user = tokens.user(for: token, store: store) else { throw APIError.unauthorized("invalid token") }
        actor = user.name
        if let wait = perToken.take(String(token.prefix(12))) {
            throw APIError(status: .tooManyRequests, message: "too many requests for this token", retryAfter: wait)
        }
        guard let stamp = request.headers[HTTPField.Name(RequestSigning.timestampHeader)!], let seconds = Double(stamp),
            abs(seconds - Date().timeIntervalSince1970) <= RequestSigning.window
        else {
            throw APIError.unauthorized("stale, future or missing timestamp (the window is \(Int(RequestSigning.window)) s)")
        }
        guard let nonce = request.headers[HTTPField.Name(RequestSigning.nonceHeader)!], RequestSigning.isWellFormedNonce(nonce),
            let mac = request.headers[HTTPField.Name(RequestSigning.signatureHeader)!]
        else {
            throw APIError.unauthorized("missing nonce or request signature")
        }
        let limit = request.method == .put ? config.maxModelBytes : config.maxBodyBytes
        let buffer: ByteBuffer
        do {
            buffer = try await request.body.collect(upTo: limit)
        } catch {
            throw APIError(status: .contentTooLarge, message: "request body over \(limit) bytes")
        }
        let body = Data(buffer.readableBytesView)
        let key = RequestSigning.key(token: token)
        let expected = RequestSigning.requestMAC(
            key: key, method: request.method.rawValue, path: request.uri.path,
            query: request.uri.query ?? "", timestamp: stamp, nonce: nonce, body: body)
        guard RequestSigning.equal(expected, mac) else { throw APIError.unauthorized("bad request signature") }
        guard try store.rememberNonce(nonce, expiresAt: Date(timeIntervalSince1970: seconds + RequestSigning.window)) else {
            throw APIError.unauthorized("replayed request (nonce already used)")
        }
        var context = context
        context.user = user
        context.key = key
        context.nonce = nonce
        context.body = body
        var request = request
        request.body = RequestBody(buffer: buffer)
        return try await next(request, context)
    }

    /// A short audit target: method and path, capped.
    static func target(_ route: String) -> String { String(route.prefix(200)) }
}

/// Proven token secrets for a minute, so that the slow password hash is paid once per
/// token, not once per request. The token's state (revoked, expired, its user disabled or
/// regraded) is read again on every request, so those take effect at once.
final class TokenCache: @unchecked Sendable {
    private let lock = NSLock()
    private var proofs: [String: (proof: TokenProof, at: TimeInterval)] = [:]
    private let ttl: TimeInterval = 60

    func user(for token: String, store: StateStore) -> User? {
        let key = RequestSigning.sha256Hex(Data(token.utf8))
        let now = ProcessInfo.processInfo.systemUptime
        lock.lock()
        var proof = proofs[key].flatMap { now - $0.at < ttl ? $0.proof : nil }
        lock.unlock()
        if proof == nil {
            guard let proven = store.verifyTokenSecret(token).proof else { return nil }
            proof = proven
            lock.lock()
            if proofs.count > 10_000 { proofs.removeAll() }
            proofs[key] = (proven, now)
            lock.unlock()
        }
        return proof.flatMap { store.currentUser(for: $0).user }
    }
}
