import Foundation
import RemoteAuth

/// The names this server answers to, as request signatures name them (`host:port`): its bind
/// address and, on loopback, `127.0.0.1` and `localhost`, with the port it bound, plus the
/// operator's `--public-name`s (the names clients use through DNS or a proxy). A request signed
/// for any other server is refused: one captured by another host cannot be replayed here.
final class ServerNames: @unchecked Sendable {
    private let lock = NSLock()
    private var names: [String] = []
    private let host: String
    private let publicNames: [String]

    init(host: String, publicNames: [String]) {
        self.host = host
        self.publicNames = publicNames
    }

    /// Called once the port is known (port 0 binds any free one).
    func bound(port: Int) {
        var all = [RequestSigning.authority(host: host, port: port)]
        if ["127.0.0.1", "localhost", "::1"].contains(host.lowercased()) {
            all += [
                RequestSigning.authority(host: "127.0.0.1", port: port), RequestSigning.authority(host: "localhost", port: port),
            ]
        }
        lock.lock()
        names = Array(Set(all + publicNames)).sorted()
        lock.unlock()
    }

    var all: [String] {
        lock.lock()
        defer { lock.unlock() }
        return names
    }

    /// `HOST` or `HOST:PORT` as the operator gives it; nil when it is not one.
    static func parse(_ text: String) -> String? {
        guard let url = URL(string: "https://\(text)/"), let host = url.host, !host.isEmpty, url.path == "/", url.query == nil,
            url.user == nil
        else { return nil }
        return RequestSigning.authority(host: host, port: url.port)
    }
}
