import Foundation

/// What `feature-extractor serve` runs with. Every limit bounds what one client can make the server do.
public struct ServerConfiguration: Sendable {
    public var host = "127.0.0.1"
    public var port = 8443
    public var certificatePath: String
    public var privateKeyPath: String
    public var databasePath: String
    /// Model files, content-addressed by SHA-256.
    public var storageDirectory: String
    public var maxModelBytes = 256 << 20
    public var maxBodyBytes = 1 << 20
    public var maxPathLength = 512
    public var maxHeaderBytes = 16 * 1024
    public var maxConnections = 256
    /// Connections one client address may hold at once: one address cannot take every slot.
    public var maxConnectionsPerAddress = 16
    /// Seconds from accepting a connection (TLS handshake included), or from the end of the last
    /// answer on it, until a request's head has arrived; then the connection is closed.
    public var headTimeout: Double = 10
    /// Seconds a request's body may take to arrive, from its head (256 MiB at about 1 MiB/s).
    public var bodyTimeout: Double = 300
    /// Seconds an answer may take to be written, from its head: a client that reads a download
    /// slowly or not at all cannot hold a connection (256 MiB at about 1 MiB/s).
    public var sendTimeout: Double = 300
    /// Failed authentications allowed per client address: sustained per second and burst. Past
    /// them a request that fails authentication is answered 429 instead of 401.
    public var failedAuthRate: Double = 0.5
    public var failedAuthBurst: Double = 20
    /// Token buckets: sustained requests per second and burst, per token and per client address.
    public var perTokenRate: Double = 20
    public var perTokenBurst: Double = 40
    public var perAddressRate: Double = 50
    public var perAddressBurst: Double = 100
    public var maxLogEventsPerBatch = 1000
    /// Further names clients reach this server by (`host:port`, as `ServerNames.parse` gives them).
    public var publicNames: [String] = []

    public init(certificatePath: String, privateKeyPath: String, databasePath: String, storageDirectory: String) {
        self.certificatePath = certificatePath
        self.privateKeyPath = privateKeyPath
        self.databasePath = databasePath
        self.storageDirectory = storageDirectory
    }

    /// `HOST` or `HOST:PORT` (port 443 by default) as `publicNames` holds it; nil when it is not one.
    public static func publicName(_ text: String) -> String? { ServerNames.parse(text) }
}
