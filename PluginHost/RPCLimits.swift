/// Bounds on everything a plugin can make the coordinator wait for or hold.
public struct RPCLimits: Sendable, Equatable {
    /// Largest frame (JSON plus attachment) accepted from or sent to a plugin.
    public var maxFrameBytes = 256 << 20
    /// Wall-clock limit for one call, in seconds.
    public var callTimeout: Double = 120
    /// Limit for the start-up handshake.
    public var handshakeTimeout: Double = 15
    /// Stderr bytes passed on to the log; the rest is drained and counted.
    public var maxStderrBytes = 1 << 20
    /// `log` notifications passed on per second (bursts up to twice that); the rest are dropped.
    public var logsPerSecond: Double = 50

    public init() {}
}
