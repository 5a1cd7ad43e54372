import FeatureExtractorSupport
import PluginProtocol

/// Per-call time limits that follow what the same method took before. A plugin that answered
/// `forward` in milliseconds and then stops answering is cut off after seconds, not after the
/// fixed `callTimeout`; a slow but steady plugin is never cut off, since each limit is many
/// times its own slowest answer so far.
struct CallDeadlines {
    /// Per method: the slowest answer so far, in seconds per row of the request (rows, so that
    /// a validation batch larger than the training ones gets a proportionally longer limit).
    private var slowestPerRow: [String: Double] = [:]
    private var answers: [String: Int] = [:]
    private var pending: [Int: (method: String, rows: Int, clock: Stopwatch)] = [:]

    /// Answers a method needs before its limit adapts: the first calls allocate and warm caches.
    static let warmUp = 2

    mutating func sent(_ id: Int, method: String, rows: Int) {
        if method == MethodName.configure {
            // A new model (another interface size in a search, say) may be much slower: start over.
            slowestPerRow = slowestPerRow.filter { $0.key == method }
            answers = answers.filter { $0.key == method }
        }
        pending[id] = (method, max(rows, 1), Stopwatch())
    }

    mutating func answered(_ id: Int) {
        guard let p = pending.removeValue(forKey: id) else { return }
        slowestPerRow[p.method] = max(slowestPerRow[p.method] ?? 0, p.clock.seconds / Double(p.rows))
        answers[p.method, default: 0] += 1
    }

    /// Whether request `id` is expected back within `seconds`: its method's slowest answer so far,
    /// scaled to its rows, is under it (true without history).
    func expectsQuickAnswer(_ id: Int, within seconds: Double) -> Bool {
        guard let p = pending[id], let perRow = slowestPerRow[p.method] else { return true }
        return perRow * Double(p.rows) < seconds
    }

    /// The limit for request `id` under `limits`, and why it is what it is when it adapted.
    func limit(for id: Int, limits: RPCLimits) -> (seconds: Double, adaptedBecause: String?) {
        guard let p = pending[id], let factor = limits.adaptiveFactor, (answers[p.method] ?? 0) >= Self.warmUp,
            let perRow = slowestPerRow[p.method]
        else { return (limits.callTimeout, nil) }
        let adapted = max(limits.adaptiveFloor, factor * perRow * Double(p.rows))
        guard adapted < limits.callTimeout else { return (limits.callTimeout, nil) }
        let slowest = perRow * Double(p.rows)
        return (
            adapted,
            "earlier \(p.method) calls took at most \(Self.duration(slowest)) for a request this size; "
                + "the limit is \(Int(factor))x that, at least \(Self.duration(limits.adaptiveFloor))"
        )
    }

    static func duration(_ seconds: Double) -> String {
        seconds < 1 ? "\(Int((seconds * 1000).rounded(.up))) ms" : "\((seconds * 10).rounded() / 10) s"
    }
}

/// The rows of a request's batch, for `CallDeadlines`; 1 for requests without one.
func requestRows(_ params: some Sendable) -> Int {
    switch params {
    case let p as ForwardParams: p.input.shape.first ?? 1
    case let p as StridedForwardParams: p.input.rows
    case let p as BackwardParams: p.gradOutput.shape.first ?? 1
    default: 1
    }
}
