#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Time elapsed since it started, on the monotonic clock (wall-clock changes do not move it):
/// durations and rates. `Deadline` (PluginProtocol) is the other use of that clock, a time limit.
public struct Stopwatch: Sendable {
    private var start: UInt64

    /// Starts now.
    public init() { start = Self.now() }

    /// Seconds since the start.
    public var seconds: Double { Double(Self.now() &- start) / 1e9 }

    /// Starts again from now.
    public mutating func restart() { start = Self.now() }

    private static func now() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
    }
}
