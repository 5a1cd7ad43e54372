import Foundation
import RemoteAuth

/// The servers a client may send its token to: the operator names them, nothing read from a
/// server or a file can add one. A token sent elsewhere would let that host act as the user.
public struct TokenScope: Sendable, Equatable {
    /// `host:port`, lower-cased, the port explicit (443 when the URL has none).
    public private(set) var origins: Set<String> = []

    public init() {}

    /// The origins of `urls` (https URLs) and `hosts` (`HOST` or `HOST:PORT`).
    public init(urls: [String], hosts: [String]) throws {
        for text in urls { origins.insert(Self.origin(of: try RemoteClient.validate(text))) }
        for host in hosts {
            guard let url = URL(string: "https://\(host)/"), url.host?.isEmpty == false, url.path == "/", url.query == nil,
                url.user == nil
            else {
                throw RemoteError.invalidURL("remote host '\(String(host.prefix(100)))' (give HOST or HOST:PORT)")
            }
            origins.insert(Self.origin(of: url))
        }
    }

    public static func origin(of url: URL) -> String { RequestSigning.authority(host: url.host ?? "", port: url.port) }

    public func allows(_ url: URL) -> Bool { origins.contains(Self.origin(of: url)) }

    /// Throws unless `text` is an https URL on one of the origins.
    public func check(_ text: String) throws {
        let url = try RemoteClient.validate(text)
        guard allows(url) else {
            throw RemoteError.hostNotAllowed(url: URLRedactor.redact(text), allowed: origins.sorted())
        }
    }
}
