import Glibc

/// A point on the monotonic clock after which an operation gives up.
public struct Deadline: Sendable, Comparable {
    public let nanoseconds: UInt64

    public static func now() -> Deadline {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Deadline(nanoseconds: UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec))
    }

    public static func after(seconds: Double) -> Deadline {
        let ns = seconds.isFinite && seconds > 0 ? UInt64(min(seconds, 1e9) * 1e9) : 0
        return Deadline(nanoseconds: now().nanoseconds &+ ns)
    }

    /// No time limit.
    public static let never = Deadline(nanoseconds: .max)

    /// Milliseconds left, rounded up, 0 once passed: the unit `poll` takes.
    public var remainingMilliseconds: Int32 {
        let n = Deadline.now().nanoseconds
        guard nanoseconds > n else { return 0 }
        let left = nanoseconds - n
        return Int32(min(left / 1_000_000 + (left % 1_000_000 == 0 ? 0 : 1), UInt64(Int32.max)))
    }

    public static func < (a: Deadline, b: Deadline) -> Bool { a.nanoseconds < b.nanoseconds }
}
