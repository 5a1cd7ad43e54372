import Crypto
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import RemoteAuth
import StateStore

/// Everything a request passes before a handler sees it, in order: size limits, the
/// per-address rate limit, the token id, the timestamp window, the body's digest (the bounded
/// body, or an upload's claimed digest), the Ed25519 signature by the token's key (failures
/// budgeted per address), the nonce (a replay is refused), the token's state, the per-token rate
/// limit, the endpoint and the role. An upload's body is read only after all of that, streamed
/// to a staging file and checked against the digest its signature covers.
/// Every request, allowed or refused, leaves an audit entry naming its token id and the reason.
struct AuthenticationMiddleware: RouterMiddleware {
    typealias Context = ServerContext
    let store: StateStore
    let config: ServerConfiguration
    let names: ServerNames
    let perAddress: RateLimiter
    let perToken: RateLimiter
    let failedAuth: RateLimiter
    let verifier: TokenVerifier

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
        if let authorization = request.headers[.authorization] {
            // The token itself on the wire: the previous release's scheme, refused (docs/SECURITY.md).
            trail.tokenID = Self.bearerTokenID(authorization)
            throw APIError.unauthorized(
                "bearer tokens are no longer accepted: requests are signed with the token's key (X-FE-Token-ID, "
                    + "X-FE-Signature); update the client, and re-issue tokens issued before (feature-extractor user token NAME)")
        }
        guard let tokenID = request.headers[HTTPField.Name(RequestSigning.tokenIDHeader)!],
            tokenID.utf8.count == 8, tokenID.utf8.allSatisfy(APITokenText.isHexDigit)
        else {
            throw APIError.unauthorized("missing or malformed X-FE-Token-ID (the token's id: 8 lower-case hex digits)")
        }
        trail.tokenID = tokenID
        guard let stamp = request.headers[HTTPField.Name(RequestSigning.timestampHeader)!], let seconds = Double(stamp),
            abs(seconds - Date().timeIntervalSince1970) <= RequestSigning.window
        else {
            throw APIError.unauthorized("stale, future or missing timestamp (the window is \(Int(RequestSigning.window)) s)")
        }
        guard let nonce = request.headers[HTTPField.Name(RequestSigning.nonceHeader)!], RequestSigning.isWellFormedNonce(nonce),
            let signature = request.headers[HTTPField.Name(RequestSigning.signatureHeader)!]
        else {
            throw APIError.unauthorized("missing nonce or request signature")
        }
        // Looked up now, refused (404) once the request is authenticated, so the audit names who asked.
        let action = RouteTable.action(request.method.rawValue, request.uri.path)
        var context = context
        var request = request
        // What the signature covers of the body: an upload's claimed digest (its body is read only
        // once the headers are proven), else the digest of the body, read bounded.
        let bodySHA256: String
        if action == .writeModel {
            guard let claimed = request.headers[ServerRoutes.contentDigestHeader], RequestSigning.isWellFormedDigest(claimed)
            else {
                throw APIError.badRequest("an upload needs X-FE-Content-SHA256: the body's SHA-256, 64 lower-case hex digits")
            }
            if let length = request.headers[.contentLength].flatMap(Int.init), length > config.maxModelBytes {
                throw APIError(status: .contentTooLarge, message: "request body over \(config.maxModelBytes) bytes")
            }
            bodySHA256 = claimed
        } else {
            let buffer: ByteBuffer
            do {
                buffer = try await request.body.collect(upTo: config.maxBodyBytes)
            } catch {
                throw APIError(status: .contentTooLarge, message: "request body over \(config.maxBodyBytes) bytes")
            }
            trail.bodyRead = true
            context.body = Data(buffer.readableBytesView)
            request.body = RequestBody(buffer: buffer)
            bodySHA256 = RequestSigning.sha256Hex(context.body)
        }
        let outcome = try verifier.verify(tokenID: tokenID, signature: signature) { authority in
            RequestSigning.canonicalRequest(
                method: request.method.rawValue, authority: authority, path: request.uri.path, query: request.uri.query ?? "",
                timestamp: stamp, nonce: nonce, bodySHA256: bodySHA256)
        }
        let responseKey: SymmetricKey
        switch outcome {
        case .refused(let reason, let message):
            trail.reason = reason
            throw failedAuthentication(message, context)
        case .signed(let key):
            responseKey = key
        }
        guard try store.rememberNonce(nonce, expiresAt: Date(timeIntervalSince1970: seconds + RequestSigning.window)) else {
            throw APIError.unauthorized("replayed request (nonce already used)")
        }
        let current = store.currentUser(ofToken: tokenID)
        guard let user = current.user else {
            trail.reason = current.reason
            throw failedAuthentication("invalid token", context)
        }
        trail.actor = AuditActor.http(user.name)
        if let wait = perToken.take(tokenID) {
            throw APIError(status: .tooManyRequests, message: "too many requests for this token", retryAfter: wait)
        }
        guard let action else { throw APIError.notFound("no such endpoint") }
        guard try store.isAllowed(user, action) else {
            throw APIError.forbidden("role \(user.role.rawValue) may not \(action.rawValue)")
        }
        if action == .writeModel {
            context.upload = try await receiveUpload(request, claimed: bodySHA256, trail: &trail)
        }
        defer { context.upload?.discard() }
        context.user = user
        context.key = responseKey
        context.nonce = nonce
        return try await next(request, context)
    }

    /// A failed authentication: 401 while the address has failures to spare, 429 past its budget,
    /// so an address cannot probe tokens at will while a client with a valid signature beside it
    /// is never held back (a verification costs tens of microseconds, no slow hash).
    private func failedAuthentication(_ message: String, _ context: ServerContext) -> APIError {
        if let wait = failedAuth.take(context.remoteAddress) {
            return APIError(
                status: .tooManyRequests, message: "too many failed authentications from this address", retryAfter: wait)
        }
        return APIError.unauthorized(message)
    }

    /// An upload whose headers are proven: its body, streamed to a staging file and checked
    /// against the digest the signature covers.
    private func receiveUpload(_ request: Request, claimed: String, trail: inout Trail) async throws -> StagedUpload {
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

    /// The id of a bearer token (`fe_<8 hex>_...`), never any of its secret; nil for other text.
    static func bearerTokenID(_ authorization: String) -> String? {
        guard authorization.hasPrefix("Bearer "), let token = APITokenText(parsing: String(authorization.dropFirst(7)))
        else { return nil }
        return token.id
    }

    /// A short audit target: method and path, capped.
    static func target(_ route: String) -> String { String(route.prefix(200)) }
}

/// Who acted, as the audit log names it: users authenticated over HTTP are `http:NAME`, so an
/// HTTP user named `root` is never mistaken for the local OS user.
enum AuditActor {
    static func http(_ name: String) -> String { "http:\(name)" }
}
