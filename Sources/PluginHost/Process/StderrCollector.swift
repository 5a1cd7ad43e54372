import FeatureExtractorSupport
import Foundation

/// Drains a plugin's stderr on a background thread.
///
/// A plugin may write without end: only the last `tailBytes` are kept (for
/// crash reports), lines go to the log handler up to `maxBytes`, and past that
/// the owner is told once (it stops the plugin). The pipe is always drained so
/// the plugin never blocks on a full stderr.
final class StderrCollector: @unchecked Sendable {
    private let lock = NSLock()
    private var tail: [UInt8] = []
    private var total = 0
    private var forwarded = 0
    private let tailBytes: Int
    private let maxForwardedBytes: Int
    private let onLine: @Sendable (String) -> Void
    private let onLimit: @Sendable () -> Void
    private var limitHit = false
    private let done = DispatchSemaphore(value: 0)

    /// - Parameters:
    ///   - maxBytes: stderr volume allowed; past it `onLimit` runs once (the owner stops the plugin).
    init(
        fd: Int32, tailBytes: Int = 8 * 1024, maxBytes: Int, onLine: @escaping @Sendable (String) -> Void,
        onLimit: @escaping @Sendable () -> Void
    ) {
        self.tailBytes = tailBytes
        self.maxForwardedBytes = maxBytes
        self.onLine = onLine
        self.onLimit = onLimit
        let thread = Thread { [self] in
            self.run(fd: fd)
        }
        thread.name = "plugin-stderr"
        thread.start()
    }

    private func run(fd: Int32) {
        var buffer = [UInt8](repeating: 0, count: 16 * 1024)
        var pending: [UInt8] = []
        while true {
            let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress!, $0.count) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { break }
            let chunk = buffer[0..<n]
            lock.lock()
            total += n
            tail.append(contentsOf: chunk)
            if tail.count > tailBytes { tail.removeFirst(tail.count - tailBytes) }
            let forward = forwarded < maxForwardedBytes
            if forward { forwarded += n }
            let firstBreach = !forward && !limitHit
            if firstBreach { limitHit = true }
            lock.unlock()
            if firstBreach { onLimit() }
            guard forward else { pending.removeAll(); continue }
            pending.append(contentsOf: chunk)
            while let nl = pending.firstIndex(of: 10) {
                onLine(DisplayText.escaped(String(decoding: pending[..<nl], as: UTF8.self), limit: 1000))
                pending.removeSubrange(...nl)
            }
            if pending.count > 4096 {
                onLine(DisplayText.escaped(String(decoding: pending, as: UTF8.self), limit: 1000))
                pending.removeAll()
            }
        }
        if !pending.isEmpty { onLine(DisplayText.escaped(String(decoding: pending, as: UTF8.self), limit: 1000)) }
        close(fd)
        done.signal()
    }

    /// Waits briefly for the writer's end to close, so a crash report has the last words.
    func waitForEnd(timeout: Double) {
        // Put the signal back, so that every later wait returns at once too.
        if done.wait(timeout: .now() + timeout) == .success { done.signal() }
    }

    /// The last bytes written, sanitised, on one line.
    var tailText: String {
        lock.lock()
        defer { lock.unlock() }
        let text = String(decoding: tail, as: UTF8.self)
        let lines = text.split(separator: "\n").suffix(5).joined(separator: " | ")
        return DisplayText.escaped(lines, limit: 600)
    }

    /// Whether the plugin wrote more than it may.
    var exceededLimit: Bool {
        lock.lock()
        defer { lock.unlock() }
        return limitHit
    }

    var totalBytes: Int {
        lock.lock()
        defer { lock.unlock() }
        return total
    }
}
