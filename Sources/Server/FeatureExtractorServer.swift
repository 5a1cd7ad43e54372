import Foundation
import Hummingbird
import HummingbirdCore
import HummingbirdTLS
import NIOCore
import NIOSSL
import StateStore

/// `feature-extractor serve`: the HTTPS endpoint for remote configs, models and logs.
public struct FeatureExtractorServer: Sendable {
    public let config: ServerConfiguration

    public init(config: ServerConfiguration) {
        self.config = config
    }

    /// Runs until SIGINT/SIGTERM; `onReady` gets the bound port (useful with port 0).
    public func run(onReady: @escaping @Sendable (Int) -> Void) async throws {
        try FileManager.default.createDirectory(
            atPath: config.storageDirectory, withIntermediateDirectories: true,
            attributes: [.posixPermissions: 0o700])
        let store = try StateStore.open(path: config.databasePath)
        let certificates = try NIOSSLCertificate.fromPEMFile(config.certificatePath)
        let key = try NIOSSLPrivateKey(file: config.privateKeyPath, format: .pem)
        var tls = TLSConfiguration.makeServerConfiguration(
            certificateChain: certificates.map { .certificate($0) }, privateKey: .privateKey(key))
        tls.minimumTLSVersion = .tlsv12

        guard let url = Bundle.module.url(forResource: "openapi", withExtension: "yaml"),
            let openAPI = FileManager.default.contents(atPath: url.path)
        else {
            throw ServerError.missingResource("openapi.yaml")
        }
        // Staging files of uploads a crash interrupted: nobody will finish them.
        StorageDirectory.removeStale(config.storageDirectory)
        let names = ServerNames(host: config.host, publicNames: config.publicNames)
        let router = Router(context: ServerContext.self)
        router.add(
            middleware: AuthenticationMiddleware(
                store: store, config: config, names: names,
                perAddress: RateLimiter(rate: config.perAddressRate, burst: config.perAddressBurst),
                perToken: RateLimiter(rate: config.perTokenRate, burst: config.perTokenBurst),
                failedAuth: RateLimiter(rate: config.failedAuthRate, burst: config.failedAuthBurst),
                verifier: TokenVerifier(store: store, names: names)))
        ServerRoutes(store: store, config: config, openAPI: openAPI).register(router)

        let events = ConnectionEvents(store: store)
        let connections = ConnectionCounter(limit: config.maxConnectionsPerAddress)
        let timeouts = RequestDeadlineHandler.Timeouts(
            head: .seconds(config.headTimeout), body: .seconds(config.bodyTimeout), send: .seconds(config.sendTimeout))
        let tlsConfiguration = tls
        let server = HTTPServerBuilder { responder in
            GuardedChannel(
                base: try TLSChannel(HTTP1Channel(responder: responder), tlsConfiguration: tlsConfiguration),
                connections: connections,
                events: events, timeouts: timeouts)
        }
        let app = Application(
            router: router,
            server: server,
            configuration: .init(
                address: .hostname(config.host, port: config.port), serverName: nil,
                availableConnectionsDelegate: MaximumAvailableConnections(config.maxConnections)),
            onServerRunning: { channel in
                let port = channel.localAddress?.port ?? 0
                names.bound(port: port)
                onReady(port)
            })
        // Dropped connections are audited per address and reason once a minute, and at the end.
        let flusher = Task {
            // Cancelled at shutdown: the last flush is the caller's, so none races the exit.
            while (try? await Task.sleep(nanoseconds: 60_000_000_000)) != nil { events.flush() }
        }
        defer {
            flusher.cancel()
            events.flush()
        }
        try await app.runService()
    }
}

extension TimeAmount {
    static func seconds(_ s: Double) -> TimeAmount { .nanoseconds(Int64(s * 1e9)) }
}

public enum ServerError: Error, CustomStringConvertible {
    case missingResource(String)
    public var description: String {
        switch self {
        case .missingResource(let name): "the server's \(name) resource is missing from the build"
        }
    }
}
