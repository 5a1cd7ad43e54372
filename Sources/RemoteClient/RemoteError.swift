import Foundation

/// Why a remote operation failed. No case carries a token, a password or a URL's credentials.
public enum RemoteError: Error, Equatable, CustomStringConvertible {
    case insecureURL(String)
    case credentialsInURL(String)
    case invalidURL(String)
    case redirectRefused(status: Int)
    case refused(status: Int, message: String)
    case unauthenticatedResponse(String)
    case integrity(String)
    case tooLarge(limit: Int)
    case gaveUp(attempts: Int, last: String)
    case network(String)
    case hostNotAllowed(url: String, allowed: [String])
    case certificate(String)
    case timedOut(seconds: Double)
    /// The token is not `fe_<8 hex>_<43 base64url>` (nothing of it is shown).
    case malformedToken
    /// A server a run will send results to did not answer when checked, before any work.
    case unreachable(url: String, why: String)

    public var description: String {
        switch self {
        case .insecureURL(let u): "refusing \(u): only https:// URLs are allowed"
        case .credentialsInURL(let u):
            "refusing \(u): credentials in a URL leak into logs and process lists; use FEATURE_EXTRACTOR_TOKEN or --token-file"
        case .invalidURL(let u): "\(u) is not a valid https URL"
        case .redirectRefused(let s): "the server answered with a redirect (\(s)); redirects are not followed"
        case .refused(let s, let m): "the server refused the request (\(s)): \(m)"
        case .unauthenticatedResponse(let why): "the response is not authentic (\(why)): it may be replayed or altered"
        case .integrity(let why): "integrity check failed: \(why)"
        case .tooLarge(let limit): "the response is larger than \(limit) bytes"
        case .gaveUp(let n, let last): "gave up after \(n) attempt(s): \(last)"
        case .network(let why): "network error: \(why)"
        case .certificate(let why):
            "the server's TLS certificate was refused (not retried): \(why); give the CA that signed it with --ca-file"
        case .timedOut(let seconds):
            "the server did not complete the exchange within \(Int(seconds)) s (the deadline covers every byte of the answer)"
        case .unreachable(let url, let why):
            "\(url) is unreachable, checked before the run did any work (nothing was trained): \(why)"
        case .malformedToken:
            "the token is not in the form fe_<8 hex digits>_<43 characters>: give the whole text `user token` printed "
                + "(tokens issued before signed requests must be re-issued: feature-extractor user token NAME)"
        case .hostNotAllowed(let url, let allowed):
            "refusing to send the token to \(url): its host is not one the operator named ("
                + (allowed.isEmpty ? "none" : allowed.joined(separator: ", "))
                + "); name it on the command line (--remote-host HOST[:PORT]) if it should receive the token"
        }
    }
}

/// Removes what must never be shown from a URL: user, password (query kept, it names things).
public enum URLRedactor {
    public static func redact(_ text: String) -> String {
        guard var c = URLComponents(string: text) else { return "<invalid URL>" }
        if c.user != nil || c.password != nil {
            c.user = nil
            c.password = nil
            return (c.string ?? "<URL>").replacingOccurrences(of: "://", with: "://<redacted>@")
        }
        return c.string ?? "<URL>"
    }
}
