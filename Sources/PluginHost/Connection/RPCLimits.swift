import PluginProtocol

/// Bounds on everything a plugin can make the coordinator wait for or hold.
public struct RPCLimits: Sendable {
    /// Largest frame (JSON plus attachment) accepted from or sent to a plugin.
    public var maxFrameBytes = 256 << 20
    /// Largest JSON part of an answer whose tensors travel outside the JSON (every method but
    /// `export_state` under the binary and shared_memory transports): envelopes, shapes,
    /// offsets, schemas. Decoding JSON costs many times its size, so this, not the frame
    /// limit, bounds the coordinator's memory on a hostile answer.
    public var maxEnvelopeBytes = 1 << 20
    /// Wall-clock limit for one call, in seconds.
    public var callTimeout: Double = 120
    /// Once a method has been answered twice, a call of it must be answered within this many
    /// times the slowest earlier answer (per row of its batch), but never less than
    /// `adaptiveFloor` nor more than `callTimeout`. Nil keeps the fixed limit.
    public var adaptiveFactor: Double? = 20
    public var adaptiveFloor: Double = 10
    /// Limit for the start-up handshake.
    public var handshakeTimeout: Double = 15
    /// Stderr bytes a plugin may write; past that it is stopped.
    public var maxStderrBytes = 1 << 20
    /// The operator's bound on a whole run (`--max-run-time`) and its length in seconds: no call
    /// waits past it, so a plugin answering each call just inside `callTimeout` cannot stretch
    /// a run indefinitely.
    public var runLimit: (deadline: Deadline, seconds: Double)?
    /// `log` notifications a plugin may send per second (bursts up to twice that); past that it is stopped.
    public var logsPerSecond: Double = 50

    public init() {}

    /// When a call started now must be answered: its own limit, or the run's if that comes first.
    func deadline(seconds: Double?) -> Deadline {
        let call = Deadline.after(seconds: seconds ?? callTimeout)
        guard let run = runLimit?.deadline else { return call }
        return min(call, run)
    }

    /// Whether the run's limit, not the call's, has passed.
    var runLimitReached: Bool { runLimit.map { $0.deadline <= .now() } ?? false }

    /// The bound on the JSON of `method`'s answer under `transport`.
    public func maxJSONBytes(answering method: String, transport: TensorTransport) -> Int {
        transport == .base64 || method == MethodName.exportState ? maxFrameBytes : maxEnvelopeBytes
    }
}
