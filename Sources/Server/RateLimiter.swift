import Foundation

/// Token buckets by key (a token id or a client address). A refused request is told
/// when to come back (Retry-After), so well-behaved clients back off instead of hammering.
final class RateLimiter: @unchecked Sendable {
    private let lock = NSLock()
    private var buckets: [String: (tokens: Double, at: TimeInterval)] = [:]
    private let rate: Double, burst: Double

    init(rate: Double, burst: Double) {
        self.rate = rate
        self.burst = burst
    }

    /// nil when `key` has a token left (none is taken); else the seconds to wait.
    func exhausted(_ key: String, now: TimeInterval = ProcessInfo.processInfo.systemUptime) -> Int? {
        lock.lock()
        defer { lock.unlock() }
        guard let b = buckets[key] else { return nil }
        let tokens = min(burst, b.tokens + (now - b.at) * rate)
        return tokens >= 1 ? nil : max(1, Int(((1 - tokens) / rate).rounded(.up)))
    }

    /// nil when allowed; else the seconds to wait.
    func take(_ key: String, now: TimeInterval = ProcessInfo.processInfo.systemUptime) -> Int? {
        lock.lock()
        defer { lock.unlock() }
        var b = buckets[key] ?? (burst, now)
        b.tokens = min(burst, b.tokens + (now - b.at) * rate)
        b.at = now
        defer {
            buckets[key] = b
            if buckets.count > 100_000 { buckets.removeAll(keepingCapacity: true) }  // bounded memory under address floods
        }
        guard b.tokens >= 1 else { return max(1, Int(((1 - b.tokens) / rate).rounded(.up))) }
        b.tokens -= 1
        return nil
    }
}
