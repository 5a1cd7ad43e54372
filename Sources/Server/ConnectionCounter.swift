import Foundation

/// Open connections per client address, capped: a client holding many idle connections takes
/// its own slots only, never every slot of the server.
final class ConnectionCounter: @unchecked Sendable {
    private let lock = NSLock()
    private var open: [String: Int] = [:]
    let limit: Int

    init(limit: Int) { self.limit = limit }

    /// Counts a new connection from `address`; false (not counted) when the address is at its cap.
    func admit(_ address: String) -> Bool {
        lock.lock()
        defer { lock.unlock() }
        let n = open[address, default: 0]
        guard n < limit else { return false }
        open[address] = n + 1
        return true
    }

    func release(_ address: String) {
        lock.lock()
        defer { lock.unlock() }
        let n = open[address, default: 0] - 1
        open[address] = n > 0 ? n : nil
    }
}
