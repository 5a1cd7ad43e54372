import PluginHost
import PluginKit
import PluginProtocol

/// A PluginKit plugin driven through the coordinator's `PluginChannel` seam without a
/// process: every request is encoded to a frame, handled by the plugin's real session and
/// its reply decoded, as over a pipe. Training logic is tested here; the process tests
/// stay as integration tests.
final class InProcessPlugin<Plugin: NeuralNetworkPlugin>: PluginChannel {
    private let session = PluginSession<Plugin>()
    private var codec = MessageCodec(transport: .base64)
    private var replies: [Int: Frame] = [:]
    private var nextID = 1
    private(set) var info: InitializeResult?
    private(set) var failure: PluginError?
    /// Every method sent, in order.
    private(set) var sent: [String] = []
    var label: String { "\(Plugin.role) '\(Plugin.name)'" }
    var peakRSSKilobytes: Int? { nil }

    /// - Parameter capabilities: what the coordinator is told the plugin declares (nil: what it
    ///   does declare; `[]` plays a plugin that predates every optional method).
    init(transport: TensorTransport = .binary, capabilities: [String]? = nil) throws {
        var result = try call(
            MethodName.initialize, InitializeParams(role: Plugin.role, transports: [transport]),
            as: InitializeResult.self)
        codec = MessageCodec(transport: result.transport)
        if let capabilities { result.capabilities = capabilities }
        info = result
    }

    func send<P: Codable & Sendable>(_ method: String, _ params: P, timeout: Double?) throws -> Int {
        if method == crashOn { crash(during: method) }
        if let failure { throw failure }
        let id = nextID
        nextID += 1
        sent.append(method)
        let request = try codec.encode(RPCRequest(id: .number(id), method: method, params: params))
        replies[id] = session.handle(request)
        return id
    }

    func receive<R: Decodable>(_ id: Int, method: String, as type: R.Type, timeout: Double?) throws -> R {
        if let failure { throw failure }
        if method == MethodName.exportState, let forged = forgedState as? R {
            replies[id] = nil
            return forged
        }
        guard let frame = replies.removeValue(forKey: id) else {
            throw reject(during: method, reason: "no answer to request \(id)")
        }
        let incoming = try codec.decodeIncoming(frame, resultType: R.self)
        if let error = incoming.head.error { throw PluginError.remoteError(plugin: label, method: method, error: error) }
        guard let result = incoming.result else { throw reject(during: method, reason: incoming.resultProblem ?? "no result") }
        return result
    }

    func reject(during method: String, reason: String) -> PluginError {
        if failure == nil { failure = .protocolViolation(plugin: label, during: method, reason: reason) }
        return failure!
    }

    func shutdown() {}

    /// What `export_state` answers instead of the plugin's real state (a hostile plugin's).
    var forgedState: ModelState?

    /// The next request of this method crashes the plugin.
    var crashOn: String?

    /// Makes every later request fail as a crashed process would.
    func crash(during method: String) {
        failure = .crashed(plugin: label, during: method, status: "killed by test", stderrTail: "")
    }
}
