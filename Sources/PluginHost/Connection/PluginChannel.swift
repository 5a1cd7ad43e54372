import PluginProtocol

/// What training needs of a handshaken plugin: requests sent in order, answers matched by
/// id, the first fatal error remembered. `PluginConnection` is the real one (a sandboxed
/// process); the unit tests drive PluginKit's session in-process through the same seam, so
/// the autoencoder and the trainer are tested without processes.
public protocol PluginChannel: AnyObject {
    /// How messages name the plugin, e.g. `encoder 'ann'`.
    var label: String { get }
    /// The handshake's answer (nil before `initialize`).
    var info: InitializeResult? { get }
    /// The first fatal error; every later request throws it.
    var failure: PluginError? { get }
    /// Peak memory of the plugin's process, where it runs in one.
    var peakRSSKilobytes: Int? { get }
    /// Sends a request without waiting for its answer; returns its id.
    func send<P: Codable & Sendable>(_ method: String, _ params: P, timeout: Double?) throws -> Int
    /// Waits for the answer to request `id`.
    func receive<R: Decodable>(_ id: Int, method: String, as type: R.Type, timeout: Double?) throws -> R
    /// For checks made above this layer (a result of the wrong shape): records the
    /// violation, stops the plugin, and returns the error to throw.
    func reject(during method: String, reason: String) -> PluginError
    /// Asks the plugin to stop and makes sure it has; idempotent.
    func shutdown()
    /// The descriptor its answers arrive on, for waiting on several plugins at once
    /// (`ForwardPipeline`); nil where an answer never needs waiting for (in the same process).
    var answerDescriptor: Int32? { get }
    /// Whether bytes already read off `answerDescriptor` hold more of an answer (a poll would not show them).
    var hasBufferedInput: Bool { get }
}

extension PluginChannel {
    public var answerDescriptor: Int32? { nil }
    public var hasBufferedInput: Bool { false }

    /// One request and its answer.
    public func call<P: Codable & Sendable, R: Decodable>(
        _ method: String, _ params: P, as type: R.Type,
        timeout: Double? = nil
    ) throws -> R {
        let id = try send(method, params, timeout: timeout)
        return try receive(id, method: method, as: type, timeout: timeout)
    }

    public func send<P: Codable & Sendable>(_ method: String, _ params: P) throws -> Int {
        try send(method, params, timeout: nil)
    }

    public func receive<R: Decodable>(_ id: Int, method: String, as type: R.Type) throws -> R {
        try receive(id, method: method, as: type, timeout: nil)
    }
}
