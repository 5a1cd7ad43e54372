import Foundation

// The request authentication, on the parts that read untrusted text: the token's parser
// (`APITokenText(parsing:)` and its private key, which the client and `StateStore.authenticate`
// run), the log scrubber's token finder (`appears(in:)`), and the request-signing checks
// `AuthenticationMiddleware` applies in order: timestamp window, nonce shape, the Ed25519
// signature over method, server, path, query and body (made with the token's key, it verifies;
// the header's own signature is verified too, and must never trap).
//
// Input: header lines `Name: value` (LF-separated) up to a blank line, then the body.
// Built with Sources/StateStore/APITokenText.swift and Sources/RemoteAuth compiled in (the
// middleware itself needs the Hummingbird server and a database; the integration tests run it).

private func isTokenText(_ bytes: [UInt8]) -> Bool {
    let hex = Array("0123456789abcdef".utf8)
    let url = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8)
    return bytes.count == 55 && bytes.starts(with: Array("fe_".utf8)) && bytes[11] == UInt8(ascii: "_")
        && bytes[3..<11].allSatisfy(hex.contains) && bytes[12...].allSatisfy(url.contains)
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let input = Array(UnsafeBufferPointer(start: data, count: size))
    let text = String(decoding: input, as: UTF8.self)
    var headers: [String: String] = [:]
    var body = Data()
    var lines = text.split(separator: "\n", omittingEmptySubsequences: false)[...]
    while let line = lines.popFirst() {
        if line.isEmpty {
            body = Data(lines.joined(separator: "\n").utf8)
            break
        }
        guard let colon = line.firstIndex(of: ":") else { continue }
        headers[line[..<colon].lowercased()] = String(line[line.index(after: colon)...].drop(while: { $0 == " " }))
    }

    // The token, as the client reads it (the input's `authorization: Bearer` line names it).
    guard let authorization = headers["authorization"], authorization.hasPrefix("Bearer ") else { return 0 }
    let token = String(authorization.dropFirst(7))
    let parsed = APITokenText(parsing: token)
    guard (parsed != nil) == isTokenText(Array(token.utf8)) else { fatalError("token parser disagrees with the format") }
    if let parsed {
        guard parsed.text == token, parsed.id.utf8.count == 8, parsed.secret.utf8.count == 43 else {
            fatalError("token parsed into other parts")
        }
        guard APITokenText.appears(in: text) else { fatalError("the log scrubber misses a token") }
    }

    // The signing checks, in the middleware's order.
    guard let stamp = headers["x-fe-timestamp"], let seconds = Double(stamp) else { return 0 }
    _ = abs(seconds - Date().timeIntervalSince1970) <= RequestSigning.window
    guard let nonce = headers["x-fe-nonce"] else { return 0 }
    let wellFormed = RequestSigning.isWellFormedNonce(nonce)
    guard wellFormed == (nonce.utf8.count == 32 && nonce.utf8.allSatisfy(Array("0123456789abcdef".utf8).contains)) else {
        fatalError("nonce check disagrees with the format")
    }
    guard wellFormed, let signature = headers["x-fe-signature"], let key = parsed?.signingKey else { return 0 }
    let path = headers["x-path"] ?? "/v1/configs/x"
    let canonical = RequestSigning.canonicalRequest(
        method: headers["x-method"] ?? "GET", authority: headers["host"] ?? "127.0.0.1:8443", path: path,
        query: headers["x-query"] ?? "", timestamp: stamp, nonce: nonce, bodySHA256: RequestSigning.sha256Hex(body))
    let publicKey = key.publicKey.rawRepresentation
    _ = RequestSigning.isValidSignature(signature, publicKey: publicKey, canonical: canonical)
    let own = RequestSigning.requestSignature(
        key: key, method: headers["x-method"] ?? "GET", authority: headers["host"] ?? "127.0.0.1:8443", path: path,
        query: headers["x-query"] ?? "", timestamp: stamp, nonce: nonce, bodySHA256: RequestSigning.sha256Hex(body))
    guard RequestSigning.isValidSignature(own, publicKey: publicKey, canonical: canonical) else {
        fatalError("a request's own signature does not verify")
    }
    guard !RequestSigning.isValidSignature(own, publicKey: publicKey, canonical: canonical + Data([0])) else {
        fatalError("a signature verifies over other text")
    }
    return 0
}
