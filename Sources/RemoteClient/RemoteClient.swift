import AsyncHTTPClient
import Crypto
import Foundation
import NIOCore
import NIOHTTP1
import NIOSSL
import RemoteAuth

/// What a remote call gives back, after its authenticity was checked.
public struct RemoteResponse: Sendable {
    public var status: Int
    public var headers: [String: String]
    public var body: Data

    public func header(_ name: String) -> String? { headers[name.lowercased()] }
}

/// Limits and trust for remote calls.
public struct RemoteClientConfiguration: Sendable {
    /// PEM file of the CA that signed the server's certificate (private deployments); nil: system roots.
    public var caFile: String?
    public var connectTimeout: Double = 10
    public var readTimeout: Double = 30
    public var maxResponseBytes = 256 << 20
    public var maxAttempts = 5
    /// Overall time for one operation, retries and every byte of every body included: a server
    /// that trickles its answer cannot hold the client past it.
    public var deadline: Double = 300
    /// First backoff step; doubled each attempt, with full jitter, capped by `maxBackoff`.
    public var baseBackoff: Double = 0.2
    public var maxBackoff: Double = 10
    /// The hosts the token may be sent to; nil: any (library use). The CLI always sets it.
    public var tokenScope: TokenScope?

    public init() {}
}

/// HTTPS client for `feature-extractor serve`: signs every request with the token's private
/// key (token id, timestamp, nonce, Ed25519 signature; the token itself is never sent), checks
/// every response's MAC against its nonce, never follows redirects, always verifies
/// certificates, bounds sizes and times, and retries only what is safe to retry, with
/// exponential backoff and jitter, honouring Retry-After.
public final class RemoteClient: @unchecked Sendable {
    private let client: HTTPClient
    private let signer: RequestSigner
    public let configuration: RemoteClientConfiguration
    /// Called before each retry with the attempt number and the reason (for logs).
    public var onRetry: @Sendable (Int, String) -> Void = { _, _ in }

    public init(token: String, configuration: RemoteClientConfiguration = RemoteClientConfiguration()) throws {
        guard let parsed = APITokenText(parsing: token), let signingKey = parsed.signingKey else {
            throw RemoteError.malformedToken
        }
        self.signer = RequestSigner(
            tokenID: parsed.id, key: signingKey, responseKey: RequestSigning.responseKey(token: token))
        self.configuration = configuration
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.certificateVerification = .fullVerification
        tls.minimumTLSVersion = .tlsv12
        if let ca = configuration.caFile {
            tls.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(ca))
        }
        var settings = HTTPClient.Configuration(
            tlsConfiguration: tls, redirectConfiguration: .disallow,
            timeout: .init(
                connect: .milliseconds(Int64(configuration.connectTimeout * 1000)),
                read: .milliseconds(Int64(configuration.readTimeout * 1000))),
            decompression: .disabled)
        // Our retry loop alone decides what is retried (docs/SECURITY.md): the connection pool
        // would otherwise retry failed connections on its own, certificate failures included.
        settings.connectionPool.retryConnectionEstablishment = false
        client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: settings)
    }

    deinit { try? client.syncShutdown() }

    /// Checks a URL before anything is sent: https only, no credentials in it.
    public static func validate(_ text: String) throws -> URL {
        guard let c = URLComponents(string: text), let scheme = c.scheme?.lowercased() else {
            throw RemoteError.invalidURL(URLRedactor.redact(text))
        }
        guard scheme == "https" else { throw RemoteError.insecureURL(URLRedactor.redact(text)) }
        guard c.user == nil, c.password == nil else { throw RemoteError.credentialsInURL(URLRedactor.redact(text)) }
        guard c.host?.isEmpty == false, let url = c.url else { throw RemoteError.invalidURL(URLRedactor.redact(text)) }
        return url
    }

    /// One operation, blocking the caller (the CLI is synchronous); `idempotent` says whether a
    /// request that may have reached the server can be sent again.
    public func send(
        _ method: String, _ urlText: String, body: Data = Data(), headers: [String: String] = [:],
        idempotent: Bool
    ) throws -> RemoteResponse {
        let url = try Self.validate(urlText)
        if let scope = configuration.tokenScope { try scope.check(urlText) }
        return try Blocking.run {
            try await self.sendWithRetries(method, url, body: body, headers: headers, idempotent: idempotent)
        }
    }

    /// The server's `{"error": ...}` message, bounded, else `HTTP <status>`.
    static func errorMessage(_ body: Data, status: Int) -> String {
        let message = (try? JSONSerialization.jsonObject(with: body) as? [String: Any])?["error"] as? String ?? "HTTP \(status)"
        return String(message.prefix(300))
    }

    /// Retries exactly what docs/SECURITY.md says: a 429 (the server refused before doing
    /// anything) always; a 503, 500, 502, 504 or a lost connection only when the request is
    /// idempotent; never a refusal, an unauthentic answer or a certificate failure. Every attempt,
    /// its body included, ends by the operation's deadline.
    private func sendWithRetries(_ method: String, _ url: URL, body: Data, headers: [String: String], idempotent: Bool)
        async throws -> RemoteResponse
    {
        let start = Date()
        var attempt = 0
        var last = ""
        while true {
            attempt += 1
            var retryAfter: Double?
            let left = configuration.deadline - Date().timeIntervalSince(start)
            do {
                let r = try await Self.within(left, deadline: configuration.deadline) {
                    try await self.once(method, url, body: body, headers: headers)
                }
                if Self.isRetried(status: r.status, idempotent: idempotent) {
                    last = "HTTP \(r.status)"
                    retryAfter = r.header("retry-after").flatMap(Double.init)
                } else if !(200..<300).contains(r.status) {
                    // A server failure that is not retried (an upload, a config save) is a failure,
                    // never a success with an odd status.
                    throw RemoteError.refused(status: r.status, message: Self.errorMessage(r.body, status: r.status))
                } else {
                    return r
                }
            } catch let e as RemoteError {
                throw e  // refusals, bad responses, the deadline: not retryable
            } catch {
                if let why = Self.certificateFailure(error) { throw RemoteError.certificate(why) }
                // Connection failures: the request may have been processed only if it was sent.
                last = Self.describe(error)
                guard idempotent else { throw RemoteError.network(last) }
            }
            let backoff = min(configuration.maxBackoff, configuration.baseBackoff * pow(2, Double(attempt - 1)))
            let delay = max(retryAfter ?? 0, Double.random(in: 0...backoff))
            guard attempt < configuration.maxAttempts, Date().timeIntervalSince(start) + delay < configuration.deadline else {
                // A status that was retried and still failed: the server's failure, as for one not retried.
                throw RemoteError.gaveUp(attempts: attempt, last: last)
            }
            onRetry(attempt, last)
            try await Task.sleep(nanoseconds: UInt64(delay * 1e9))
        }
    }

    /// Whether an answer with `status` is sent again (docs/SECURITY.md, "Client").
    public static func isRetried(status: Int, idempotent: Bool) -> Bool {
        status == 429 || (idempotent && [500, 502, 503, 504].contains(status))
    }

    /// TLS failures (an untrusted or mismatched certificate, a failed handshake): retrying
    /// cannot help and would only repeat the refusal.
    static func certificateFailure(_ error: any Error) -> String? {
        if error is NIOSSLError || error is NIOSSLExtraError || error is BoringSSLError {
            return describe(error)
        }
        let text = String(describing: error)
        return text.contains("handshakeFailed") || text.contains("CERTIFICATE_VERIFY_FAILED") ? describe(error) : nil
    }

    /// Runs `work`, cancelling it when `seconds` have passed (a response trickled byte by byte).
    static func within<T: Sendable>(_ seconds: Double, deadline: Double, _ work: @escaping @Sendable () async throws -> T)
        async throws -> T
    {
        guard seconds > 0 else { throw RemoteError.timedOut(seconds: deadline) }
        return try await withThrowingTaskGroup(of: T?.self) { group in
            group.addTask { try await work() }
            group.addTask {
                try await Task.sleep(nanoseconds: UInt64(seconds * 1e9))
                return nil
            }
            defer { group.cancelAll() }
            guard let first = try await group.next(), let value = first else {
                throw RemoteError.timedOut(seconds: deadline)
            }
            return value
        }
    }

    private func once(_ method: String, _ url: URL, body: Data, headers: [String: String]) async throws -> RemoteResponse {
        let nonce = RequestSigning.newNonce()
        let stamp = String(Int(Date().timeIntervalSince1970))
        let c = URLComponents(url: url, resolvingAgainstBaseURL: false)
        let path = c?.percentEncodedPath ?? url.path
        let query = c?.percentEncodedQuery ?? ""
        var request = HTTPClientRequest(url: url.absoluteString)
        request.method = HTTPMethod(rawValue: method)
        request.headers.add(name: RequestSigning.tokenIDHeader, value: signer.tokenID)
        request.headers.add(name: RequestSigning.timestampHeader, value: stamp)
        request.headers.add(name: RequestSigning.nonceHeader, value: nonce)
        request.headers.add(
            name: RequestSigning.signatureHeader,
            value: RequestSigning.requestSignature(
                key: signer.key, method: method, authority: TokenScope.origin(of: url), path: path, query: query,
                timestamp: stamp, nonce: nonce, bodySHA256: RequestSigning.sha256Hex(body)))
        for (k, v) in headers { request.headers.add(name: k, value: v) }
        if !body.isEmpty { request.body = .bytes(ByteBuffer(bytes: body)) }

        let response = try await client.execute(request, timeout: .milliseconds(Int64(configuration.readTimeout * 1000)))
        let status = Int(response.status.code)
        var fields: [String: String] = [:]
        for h in response.headers { fields[h.name.lowercased()] = h.value }
        let buffer: ByteBuffer
        do {
            buffer = try await response.body.collect(upTo: configuration.maxResponseBytes)
        } catch is NIOTooManyBytesError {
            throw RemoteError.tooLarge(limit: configuration.maxResponseBytes)
        }
        let data = Data(buffer.readableBytesView)
        if (300..<400).contains(status) { throw RemoteError.redirectRefused(status: status) }
        if status == 429 || status == 503 || status >= 500 { return RemoteResponse(status: status, headers: fields, body: data) }
        guard (200..<300).contains(status) else {
            throw RemoteError.refused(status: status, message: Self.errorMessage(data, status: status))
        }
        guard let mac = fields[RequestSigning.responseSignatureHeader.lowercased()],
            RequestSigning.equal(
                mac, RequestSigning.responseMAC(key: signer.responseKey, nonce: nonce, status: status, body: data))
        else {
            throw RemoteError.unauthenticatedResponse("its signature is missing or does not match this request")
        }
        return RemoteResponse(status: status, headers: fields, body: data)
    }

    /// Whether the server behind `urlText` answers HTTP at all: one GET of its API description,
    /// unsigned (no token is sent) and not retried, with the certificate checked as for every
    /// request, all within `seconds`. A run checks where its results will go before it trains,
    /// so that a wrong host, port or CA fails in seconds rather than after the work is done.
    public func checkReachable(_ urlText: String, seconds: Double = 10) throws {
        let url = try Self.validate(urlText)
        if let scope = configuration.tokenScope { try scope.check(urlText) }
        let probe = Self.apiDescription(near: url)
        do {
            try Blocking.run {
                try await Self.within(seconds, deadline: seconds) {
                    let response = try await self.client.execute(
                        HTTPClientRequest(url: probe), timeout: .milliseconds(Int64(seconds * 1000)))
                    _ = try await response.body.collect(upTo: self.configuration.maxResponseBytes)
                }
            }
        } catch let error as RemoteError {
            throw RemoteError.unreachable(url: URLRedactor.redact(urlText), why: error.description)
        } catch {
            let why = Self.certificateFailure(error).map { "the TLS certificate was refused: \($0); give its CA with --ca-file" }
            throw RemoteError.unreachable(url: URLRedactor.redact(urlText), why: why ?? Self.describe(error))
        }
        // Any answer will do: what the upload itself is answered is for the upload to find out.
    }

    /// `/v1/openapi.yaml` beside the API path `url` names (the one request the server answers unsigned).
    static func apiDescription(near url: URL) -> String {
        var c = URLComponents()
        c.scheme = url.scheme
        c.host = url.host
        c.port = url.port
        let path = url.path
        let prefix = path.range(of: "/v1/").map { String(path[..<$0.lowerBound]) } ?? ""
        c.path = prefix + "/v1/openapi.yaml"
        return c.string ?? url.absoluteString
    }

    /// Sends exactly the given headers and body, unsigned and once: for tools and tests that
    /// probe a server (replays, stale timestamps). Responses are not authenticated here.
    public func sendRaw(_ method: String, _ urlText: String, headers: [String: String], body: Data = Data()) throws
        -> RemoteResponse
    {
        let url = try Self.validate(urlText)
        return try Blocking.run {
            var request = HTTPClientRequest(url: url.absoluteString)
            request.method = HTTPMethod(rawValue: method)
            for (k, v) in headers { request.headers.add(name: k, value: v) }
            if !body.isEmpty { request.body = .bytes(ByteBuffer(bytes: body)) }
            let response = try await self.client.execute(request, timeout: .seconds(30))
            var fields: [String: String] = [:]
            for h in response.headers { fields[h.name.lowercased()] = h.value }
            let buffer = try await response.body.collect(upTo: self.configuration.maxResponseBytes)
            return RemoteResponse(status: Int(response.status.code), headers: fields, body: Data(buffer.readableBytesView))
        }
    }

    /// Network errors, without anything secret (AsyncHTTPClient errors carry no credentials).
    static func describe(_ error: any Error) -> String {
        String(String(describing: error).prefix(200))
    }
}

/// What the client signs with: the token's id, its private key and the key of response MACs
/// (swift-crypto's key types are not Sendable-annotated; they are immutable).
struct RequestSigner: @unchecked Sendable {
    let tokenID: String
    let key: Curve25519.Signing.PrivateKey
    let responseKey: SymmetricKey
}

/// Runs async work to completion from synchronous code (the CLI's run loop is synchronous).
enum Blocking {
    static func run<T: Sendable>(_ work: @escaping @Sendable () async throws -> T) throws -> T {
        let box = ResultBox<T>()
        let done = DispatchSemaphore(value: 0)
        Task {
            do { box.result = .success(try await work()) } catch { box.result = .failure(error) }
            done.signal()
        }
        done.wait()
        return try box.result!.get()
    }

    private final class ResultBox<T>: @unchecked Sendable {
        var result: Result<T, any Error>?
    }
}
