import Foundation
import RemoteClient
import StateStore

/// Sends a run's key events to `--remote-log` in the background.
///
/// It never blocks or fails the run: events queue in memory, a background thread
/// sends them in batches, and whatever cannot be delivered (server down, refused) is
/// spooled to the local database, bounded, and sent first by the next run.
public final class RemoteLogger: @unchecked Sendable {
    private let url: String
    private let client: RemoteClient
    private let store: StateStore
    private let actor: String
    private let lock = NSLock()
    private var queue: [String] = []
    /// The batch being sent: spooled too if `finish` cannot wait for its answer (at least once, not exactly once).
    private var inFlight: [String] = []
    private var stopped = false
    private let wake = DispatchSemaphore(value: 0)
    private let finished = DispatchSemaphore(value: 0)
    public private(set) var delivered = 0
    public private(set) var spooled = 0

    static let batchSize = 200

    public init(url: String, client: RemoteClient, store: StateStore, actor: String) {
        self.url = url
        self.client = client
        self.store = store
        self.actor = actor
        let thread = Thread { [self] in self.loop() }
        thread.name = "remote-log"
        thread.start()
    }

    /// Queues one event (a flat JSON object; values are made strings or numbers).
    public func log(_ event: String, _ fields: [String: Any] = [:]) {
        var object = fields
        object["event"] = event
        object["time"] = ISO8601DateFormatter().string(from: Date())
        guard let data = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]) else { return }
        lock.lock()
        queue.append(String(decoding: data, as: UTF8.self))
        let count = queue.count
        lock.unlock()
        if count >= Self.batchSize { wake.signal() }
    }

    /// Sends what is left within `timeout` seconds, spools the rest, and stops.
    public func finish(timeout: Double = 5) {
        lock.lock()
        stopped = true
        lock.unlock()
        wake.signal()
        if finished.wait(timeout: .now() + timeout) == .timedOut {
            // The sender is stuck on the network: keep the events for next time.
            lock.lock()
            let rest = inFlight + queue
            queue.removeAll()
            inFlight.removeAll()
            lock.unlock()
            spool(rest)
        }
    }

    private func loop() {
        // Events an earlier run could not deliver go first.
        if let old = try? store.spooled(limit: 10_000).filter({ $0.url == url }), !old.isEmpty {
            if deliver(old.map(\.payload)) { try? store.removeSpooled(old.map(\.id)) }
        }
        while true {
            _ = wake.wait(timeout: .now() + 2)
            lock.lock()
            let batch = Array(queue.prefix(Self.batchSize))
            queue.removeFirst(batch.count)
            inFlight = batch
            let done = stopped && queue.isEmpty
            lock.unlock()
            let ok = batch.isEmpty || deliver(batch)
            lock.lock()
            let stillOurs = !inFlight.isEmpty  // emptied when finish gave up and spooled it
            inFlight.removeAll()
            lock.unlock()
            if !ok && stillOurs { spool(batch) }
            if done { break }
        }
        finished.signal()
    }

    /// One batch; false when it could not be delivered.
    private func deliver(_ events: [String]) -> Bool {
        let body = Data(("[" + events.joined(separator: ",") + "]").utf8)
        do {
            _ = try client.send("POST", url, body: body, headers: ["Content-Type": "application/json"], idempotent: false)
            lock.lock(); delivered += events.count; lock.unlock()
            // Never fails the run from here: a database that cannot be written fails the
            // run's own audit entries on the main path, which stop it loudly.
            _ = try? store.append(
                AuditEvent(
                    actor: actor, action: "remote.log", target: URLRedactor.redact(url), outcome: .success,
                    details: ["events": String(events.count)]))
            return true
        } catch {
            _ = try? store.append(
                AuditEvent(
                    actor: actor, action: "remote.log", target: URLRedactor.redact(url), outcome: .failure,
                    details: ["events": String(events.count), "error": String("\(error)".prefix(300))]))
            return false
        }
    }

    private func spool(_ events: [String]) {
        guard !events.isEmpty else { return }
        // Batches of the same size as sent, so the next run resends them as they were.
        for start in stride(from: 0, to: events.count, by: Self.batchSize) {
            let batch = events[start..<min(start + Self.batchSize, events.count)]
            for e in batch { _ = try? store.spool(url: url, payload: e) }
        }
        lock.lock(); spooled += events.count; lock.unlock()
    }
}
