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
    @Option(name: .customLong("max-connections"), help: "Concurrent connections.") var maxConnections = 256
    @Option(name: .customLong("max-connections-per-address"), help: "Concurrent connections from one client address.")
    var maxConnectionsPerAddress = 16
    @Option(
        name: .customLong("head-timeout"),
        help: "Seconds a connection may take to send a request head (TLS handshake included), and to stay idle between requests.")
    var headTimeout: Double = 10
    @Option(name: .customLong("body-timeout"), help: "Seconds a request body may take to arrive.") var bodyTimeout: Double = 300
    @Option(
        name: .customLong("send-timeout"),
        help: "Seconds an answer (a model download) may take to be read by the client; a slower reader loses the connection.")
    var sendTimeout: Double = 300
    @Option(
        name: .customLong("public-name"),
        help: """
            A name clients reach this server by (HOST or HOST:PORT, port 443 by default), e.g. through DNS or a \
            proxy: requests are signed for the server they are meant for (repeatable).
            """)
    var publicNames: [String] = []
    @Flag(
        name: .customLong("check-storage"),
        help: """
            Check the model storage against the database and exit: content files no model version names (orphans), \
            versions whose file is missing or damaged, leftover staging files. Exit 0 when clean, 65 otherwise.
            """)
    var checkStorage = false

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
        config.maxConnectionsPerAddress = maxConnectionsPerAddress
        guard headTimeout > 0, bodyTimeout > 0, sendTimeout > 0, maxConnectionsPerAddress > 0, maxConnections > 0 else {
            throw ValidationError("timeouts and connection limits must be positive")
        }
        config.publicNames = try publicNames.map { text in
            guard let name = ServerConfiguration.publicName(text) else {
                throw ValidationError("--public-name '\(text.prefix(100))': give HOST or HOST:PORT")
            }
            return name
        }
        config.headTimeout = headTimeout
        config.bodyTimeout = bodyTimeout
        config.sendTimeout = sendTimeout
        if checkStorage {
            let report = try StorageDirectory.check(config.storageDirectory, store: try StateStore.open(path: db))
            for (label, names) in [
                ("orphan (no model version names it)", report.orphans), ("missing", report.missing),
                ("damaged (content does not match its name)", report.damaged), ("staging file", report.staging),
            ] {
                for name in names { print("\(label): \(config.storageDirectory)/\(name)") }
            }
            print(report.isClean ? "storage is consistent" : "storage has problems (see above)")
            if !report.isClean { throw ExitCode(ExitCodes.badData) }
            return
        }
        let host = config.host
        try await FeatureExtractorServer(config: config).run { port in
            // Unbuffered, so that a supervisor (or a test) reading our stdout learns the port at once.
            FileHandle.standardOutput.write(Data("listening on https://\(host):\(port)\n".utf8))
        }
    }
}
