import Foundation
import StateStore

/// Connections the server dropped before a request reached the router (over the per-address cap,
/// a handshake or request head that never came, a body too slow, bytes the HTTP parser refused),
/// counted per address and reason and written to the audit log once a minute: a flood costs a
/// few entries, not one per connection.
final class ConnectionEvents: @unchecked Sendable {
    private let lock = NSLock()
    private var counts: [Key: Int] = [:]
    private let store: StateStore

    private struct Key: Hashable {
        var address: String
        var reason: String
    }

    init(store: StateStore) { self.store = store }

    func record(address: String, reason: String) {
        lock.lock()
        // Bounded under an address flood: the overflow is counted under one key.
        let key = counts.count < 10_000 ? Key(address: address, reason: reason) : Key(address: "many", reason: reason)
        counts[key, default: 0] += 1
        lock.unlock()
    }

    /// Writes one entry per address and reason seen since the last flush.
    func flush() {
        lock.lock()
        let pending = counts
        counts.removeAll()
        lock.unlock()
        for (key, count) in pending.sorted(by: { ($0.key.address, $0.key.reason) < ($1.key.address, $1.key.reason) }) {
            do {
                _ = try store.append(
                    AuditEvent(
                        actor: "http:anonymous@\(key.address)", action: "remote.connection", target: key.reason,
                        outcome: .refused, details: ["address": key.address, "count": String(count)]))
            } catch {
                FileHandle.standardError.write(Data("cannot audit dropped connections (\(key.reason)): \(error)\n".utf8))
            }
        }
    }
}
