import ArgumentParser
import Coordinator
import Foundation
import Server
import StateStore

struct ServeCommand: AsyncToolCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Run the HTTPS endpoint for remote configs, models and logs.",
        discussion: """
            TLS only, with the certificate and key from files. Clients authenticate with API tokens \
            from this database (`feature-extractor user token`); every request is signed (timestamp, \
            nonce, HMAC) and refused when stale, replayed or altered, and every request, allowed or \
            refused, is audited. The API is described at https://HOST:PORT/v1/openapi.yaml.
            """)

    @Option(help: "Address to bind (default 127.0.0.1: only this machine).") var host = "127.0.0.1"
    @Option(help: "Port (0: any free port, printed on start).") var port = 8443
    @Option(help: "PEM certificate chain.") var cert: String
    @Option(help: "PEM private key.") var key: String
    @Option(help: "Directory for stored models (default: models/ in the home directory).") var storage: String?
    @Option(name: .customLong("db"), help: "The database (default as for every command).") var database: String?
    @Option(name: .customLong("rate"), help: "Requests per second allowed per token (burst twice that).") var rate: Double = 20
    @Option(name: .customLong("address-rate"), help: "Requests per second allowed per client address (burst twice that).")
    var addressRate: Double = 50
    @Option(name: .customLong("max-connections"), help: "Concurrent connections.") var maxConnections = 64

    func execute() async throws {
        let db = database ?? StateStore.defaultPath()
        var config = ServerConfiguration(
            certificatePath: cert, privateKeyPath: key, databasePath: db,
            storageDirectory: storage ?? FeatureExtractorHome.directory() + "/models")
        config.host = host
        config.port = port
        config.perTokenRate = rate
        config.perTokenBurst = rate * 2
        config.perAddressRate = addressRate
        config.perAddressBurst = addressRate * 2
        config.maxConnections = maxConnections
        let host = config.host
        try await FeatureExtractorServer(config: config).run { port in
            // Unbuffered, so that a supervisor (or a test) reading our stdout learns the port at once.
            FileHandle.standardOutput.write(Data("listening on https://\(host):\(port)\n".utf8))
        }
    }
}
