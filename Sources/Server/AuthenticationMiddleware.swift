import Crypto
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import RemoteAuth
import StateStore

/// Everything a request passes before a handler sees it, in order: size limits, the
/// per-address rate limit, the per-address budget of failed authentications, the bearer token,
/// the per-token rate limit, the timestamp window, the endpoint and the role it needs, the
/// request MAC, the nonce (a replay is refused), and only then the bounded body. An upload's
/// MAC is checked against the digest its headers claim before its body is read; the body is
/// streamed to a staging file and checked against that digest.
/// Every request, allowed or refused, leaves an audit entry naming its token id and the reason.
struct AuthenticationMiddleware: RouterMiddleware {
    typealias Context = ServerContext
    let store: StateStore
    let config: ServerConfiguration
    let names: ServerNames
    let perAddress: RateLimiter
    let perToken: RateLimiter
    let failedAuth: RateLimiter
    let tokens: TokenCache

    /// What the audit entry of a request says, filled in as the checks go.
    struct Trail {
        var actor: String
        var tokenID: String?
        var reason: String?
        /// The body was read to its end: the connection can serve another request.
        var bodyRead = false
    }

    func handle(_ request: Request, context: ServerContext, next: (Request, ServerContext) async throws -> Response) async throws
        -> Response
    {
        let route = "\(request.method.rawValue) \(request.uri.path)"
        var trail = Trail(actor: "http:anonymous@\(context.remoteAddress)")
        do {
            let response = try await check(request, context: context, trail: &trail, next: next)
            record(
                route, trail, status: Int(response.status.code), outcome: response.status.code < 400 ? .success : .failure,
                context)
            return response
        } catch var error as APIError {
            if !trail.bodyRead && Self.hasBody(request) { error.closeConnection = true }
            record(
                route, trail, status: Int(error.status.code), outcome: .refused, reason: trail.reason ?? error.message, context)
            throw error
        } catch let error as HTTPResponseError {
            // The router's own answers (no such endpoint) are audited like ours.
            record(route, trail, status: Int(error.status.code), outcome: .refused, reason: "\(error.status)", context)
            throw error
        } catch {
            record(route, trail, status: 500, outcome: .failure, reason: "internal error", context)
            throw error
        }
    }

    static func hasBody(_ request: Request) -> Bool {
        request.headers[.transferEncoding] != nil || (request.headers[.contentLength].flatMap(Int.init) ?? 0) > 0
    }

    private func record(
        _ route: String, _ trail: Trail, status: Int, outcome: AuditOutcome, reason: String? = nil, _ context: ServerContext
    ) {
        var details = ["status": String(status), "address": context.remoteAddress]
        if let id = trail.tokenID { details["token_id"] = id }
        if let reason { details["reason"] = String(reason.prefix(300)) }
        do {
            try store.append(
                AuditEvent(
                    actor: trail.actor, action: "remote.request", target: Self.target(route), outcome: outcome, details: details))
        } catch {
            // The answer stands either way; an entry that could not be written must not go unnoticed.
            context.logger.error("cannot audit a request (\(route)): \(error)")
        }
    }

    private func check(
        _ request: Request, context: ServerContext, trail: inout Trail,
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
        if request.uri.path == RemoteAPI.prefix + "/openapi.yaml" {
            trail.bodyRead = true
            return try await next(request, context)
        }
        guard let authorization = request.headers[.authorization], authorization.hasPrefix("Bearer ") else {
            throw APIError.unauthorized("missing bearer token")
        }
        let token = String(authorization.dropFirst(7))
        // A token proven in the last minute costs nothing to check again; any other is checked
        // only while its address has failed authentications to spare, so failed guesses cannot
        // buy the slow hash, and a client whose token is proven is not locked out by a neighbour.
        let proven = try tokens.user(for: token, store: store) {
            if let wait = failedAuth.exhausted(context.remoteAddress) {
                trail.tokenID = TokenCache.publicID(token)
                throw APIError(
                    status: .tooManyRequests, message: "too many failed authentications from this address", retryAfter: wait)
            }
        }
        trail.tokenID = proven.tokenID
        guard let user = proven.user else {
            _ = failedAuth.take(context.remoteAddress)
            trail.reason = proven.reason
            throw APIError.unauthorized("invalid token")
        }
        trail.actor = AuditActor.http(user.name)
        if let wait = perToken.take(proven.tokenID ?? "?") {
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
        guard let action = RouteTable.action(request.method.rawValue, request.uri.path) else {
            throw APIError.notFound("no such endpoint")
        }
        guard try store.isAllowed(user, action) else {
            throw APIError.forbidden("role \(user.role.rawValue) may not \(action.rawValue)")
        }
        let key = RequestSigning.key(token: token)
        var context = context
        var request = request
        if action == .writeModel {
            context.upload = try await receiveUpload(
                request, key: key, stamp: stamp, seconds: seconds, nonce: nonce, mac: mac, trail: &trail)
        } else {
            let buffer: ByteBuffer
            do {
                buffer = try await request.body.collect(upTo: config.maxBodyBytes)
            } catch {
                throw APIError(status: .contentTooLarge, message: "request body over \(config.maxBodyBytes) bytes")
            }
            trail.bodyRead = true
            let body = Data(buffer.readableBytesView)
            try checkSignature(
                request, key: key, stamp: stamp, seconds: seconds, nonce: nonce, mac: mac,
                bodySHA256: RequestSigning.sha256Hex(body))
            context.body = body
            request.body = RequestBody(buffer: buffer)
        }
        defer { context.upload?.discard() }
        context.user = user
        context.key = key
        context.nonce = nonce
        return try await next(request, context)
    }

    /// An upload: its headers' MAC (over the digest they claim) and nonce first, then the body,
    /// streamed to a staging file and checked against the claimed digest.
    private func receiveUpload(
        _ request: Request, key: SymmetricKey, stamp: String, seconds: Double, nonce: String, mac: String, trail: inout Trail
    ) async throws -> StagedUpload {
        guard let claimed = request.headers[ServerRoutes.contentDigestHeader], RequestSigning.isWellFormedDigest(claimed) else {
            throw APIError.badRequest("an upload needs X-FE-Content-SHA256: the body's SHA-256, 64 lower-case hex digits")
        }
        if let length = request.headers[.contentLength].flatMap(Int.init), length > config.maxModelBytes {
            throw APIError(status: .contentTooLarge, message: "request body over \(config.maxModelBytes) bytes")
        }
        try checkSignature(request, key: key, stamp: stamp, seconds: seconds, nonce: nonce, mac: mac, bodySHA256: claimed)
        let upload: StagedUpload
        do {
            upload = try await StagedUpload.receive(request.body, into: config.storageDirectory, limit: config.maxModelBytes)
        } catch StagedUpload.Failure.tooLarge {
            throw APIError(status: .contentTooLarge, message: "request body over \(config.maxModelBytes) bytes")
        } catch StagedUpload.Failure.storage(let why) {
            trail.reason = "storage: \(why)"
            throw APIError(status: .internalServerError, message: "storage failed")
        }
        trail.bodyRead = true
        guard upload.sha256 == claimed else {
            upload.discard()
            throw APIError.badRequest("X-FE-Content-SHA256 does not match the body (truncated or altered upload)")
        }
        return upload
    }

    /// The request MAC (over `bodySHA256`), then the nonce: a replay is refused.
    private func checkSignature(
        _ request: Request, key: SymmetricKey, stamp: String, seconds: Double, nonce: String, mac: String, bodySHA256: String
    ) throws {
        // Signed for one of this server's names, or it was meant for another server.
        let signedForUs = names.all.contains { name in
            RequestSigning.equal(
                RequestSigning.requestMAC(
                    key: key, method: request.method.rawValue, authority: name, path: request.uri.path,
                    query: request.uri.query ?? "", timestamp: stamp, nonce: nonce, bodySHA256: bodySHA256), mac)
        }
        guard signedForUs else {
            throw APIError.unauthorized("bad request signature (altered, or signed for another server)")
        }
        guard try store.rememberNonce(nonce, expiresAt: Date(timeIntervalSince1970: seconds + RequestSigning.window)) else {
            throw APIError.unauthorized("replayed request (nonce already used)")
        }
    }

    /// A short audit target: method and path, capped.
    static func target(_ route: String) -> String { String(route.prefix(200)) }
}

/// Who acted, as the audit log names it: users authenticated over HTTP are `http:NAME`, so an
/// HTTP user named `root` is never mistaken for the local OS user.
enum AuditActor {
    static func http(_ name: String) -> String { "http:\(name)" }
}

/// Proven token secrets for a minute, so that the slow password hash is paid once per
/// token, not once per request. The token's state (revoked, expired, its user disabled or
/// regraded) is read again on every request, so those take effect at once.
final class TokenCache: @unchecked Sendable {
    private let lock = NSLock()
    private var proofs: [String: (proof: TokenProof, at: TimeInterval)] = [:]
    private let ttl: TimeInterval = 60

    /// The user (nil if refused), why, and the token's public id when the text has one.
    /// `beforeProving` runs (and may throw) only when the token's secret must be checked anew.
    func user(for token: String, store: StateStore, beforeProving: () throws -> Void) rethrows
        -> (user: User?, reason: String, tokenID: String?)
    {
        let tokenID = Self.publicID(token)
        let key = RequestSigning.sha256Hex(Data(token.utf8))
        let now = ProcessInfo.processInfo.systemUptime
        lock.lock()
        var proof = proofs[key].flatMap { now - $0.at < ttl ? $0.proof : nil }
        lock.unlock()
        if proof == nil {
            try beforeProving()
            let proven = store.verifyTokenSecret(token)
            guard let p = proven.proof else { return (nil, proven.reason, tokenID) }
            proof = p
            lock.lock()
            if proofs.count > 10_000 { proofs.removeAll() }
            proofs[key] = (p, now)
            lock.unlock()
        }
        let current = store.currentUser(for: proof!)
        return (current.user, current.reason, tokenID)
    }

    /// `fe_<8 hex>_...`'s id, never any of the secret; nil for text not shaped like a token.
    static func publicID(_ token: String) -> String? {
        let bytes = Array(token.utf8)
        guard bytes.count > 12, bytes.starts(with: Array("fe_".utf8)), bytes[11] == UInt8(ascii: "_") else { return nil }
        let id = bytes[3..<11]
        guard id.allSatisfy({ (48...57).contains($0) || (97...102).contains($0) }) else { return nil }
        return String(decoding: id, as: UTF8.self)
    }
}
