import Foundation
import Hummingbird
import HummingbirdCore
import HummingbirdTLS
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
        let router = Router(context: ServerContext.self)
        router.add(
            middleware: AuthenticationMiddleware(
                store: store, config: config,
                perAddress: RateLimiter(rate: config.perAddressRate, burst: config.perAddressBurst),
                perToken: RateLimiter(rate: config.perTokenRate, burst: config.perTokenBurst),
                tokens: TokenCache()))
        ServerRoutes(store: store, config: config, openAPI: openAPI).register(router)

        let app = Application(
            router: router,
            server: try .tls(.http1(), tlsConfiguration: tls),
            configuration: .init(
                address: .hostname(config.host, port: config.port), serverName: nil,
                availableConnectionsDelegate: MaximumAvailableConnections(config.maxConnections)),
            onServerRunning: { channel in onReady(channel.localAddress?.port ?? 0) })
        try await app.runService()
    }
}

public enum ServerError: Error, CustomStringConvertible {
    case missingResource(String)
    public var description: String {
        switch self {
        case .missingResource(let name): "the server's \(name) resource is missing from the build"
        }
    }
}
