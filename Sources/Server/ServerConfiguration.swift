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
    public var maxConnections = 64
    /// Token buckets: sustained requests per second and burst, per token and per client address.
    public var perTokenRate: Double = 20
    public var perTokenBurst: Double = 40
    public var perAddressRate: Double = 50
    public var perAddressBurst: Double = 100
    public var maxLogEventsPerBatch = 1000

    public init(certificatePath: String, privateKeyPath: String, databasePath: String, storageDirectory: String) {
        self.certificatePath = certificatePath
        self.privateKeyPath = privateKeyPath
        self.databasePath = databasePath
        self.storageDirectory = storageDirectory
    }
}
