import Glibc
import PluginProtocol

/// Inference forwards spread over one or more processes of the same configured plugin, the
/// outputs handed back in the order the batches were made.
///
/// A plugin computes on one thread (the sandbox lets it start none), so on a machine with
/// several cores the coordinator runs copies of it, with the same state, in several processes.
/// Each copy keeps up to `depth` requests in hand, so it computes the next batch while the
/// coordinator reads the last one. A batch goes to whichever copy has room, and answers are
/// taken from whichever copy has one ready: a copy that shares its core with the coordinator,
/// or with another copy, runs slower, and taking answers strictly in turn would hold every
/// other copy to its pace. Every copy computes a batch exactly as the first would, so the
/// outputs do not depend on how many there are or which one computed what.
public final class ForwardPipeline {
    private let lanes: [any PluginChannel]
    private let outputWidth: Int
    private let depth: Int
    /// Batches made and not yet handed back (in flight, or answered and waiting for older ones):
    /// bounds the outputs held while a slow copy finishes the oldest.
    private let window: Int
    private let source: () throws -> StridedRows?
    /// Whether the copies read overlapping rows (`PluginCapability.rowStride`): windows then cross as their series.
    private let sendsStridedRows: Bool
    private var exhausted = false
    /// Each copy's requests in flight, oldest first (each copy answers in the order it was asked).
    private var inFlight: [[(sequence: Int, id: Int, rows: Int)]]
    /// Answers that came before an older batch's.
    private var answered: [Int: Tensor] = [:]
    private var made = 0, handedBack = 0
    private var nextLane = 0
    /// Answers taken from each copy so far (a slow copy takes fewer batches).
    public private(set) var answersPerLane: [Int]

    /// - Parameters:
    ///   - lanes: handshaken, configured plugins in the same state.
    ///   - outputWidth: the values per row each answer must have.
    ///   - batches: the next batch to encode, or nil when there are no more; called only from `next()`.
    ///     Overlapping rows (a series' windows) are sent as such to plugins that read them, dense to others.
    public init(lanes: [any PluginChannel], outputWidth: Int, batches: @escaping () throws -> StridedRows?) {
        precondition(!lanes.isEmpty)
        self.lanes = lanes
        self.outputWidth = outputWidth
        source = batches
        inFlight = Array(repeating: [], count: lanes.count)
        answersPerLane = Array(repeating: 0, count: lanes.count)
        // Two requests in hand only where tensors travel in shared memory (its bound is two): over
        // pipes, a second large request could block while the plugin blocks writing its answer.
        depth = lanes.allSatisfy { $0.info?.transport == .sharedMemory } ? 2 : 1
        window = lanes.count * (depth + 2)
        sendsStridedRows = lanes.allSatisfy { $0.info?.supports(PluginCapability.rowStride) ?? false }
    }

    /// The output of the oldest batch not yet handed back, its shape checked; nil after the last.
    public func next() throws -> Tensor? {
        while true {
            try submitWhileRoom()
            if let output = answered.removeValue(forKey: handedBack) {
                handedBack += 1
                try submitWhileRoom()  // the copies compute on while the caller uses this output
                return output
            }
            guard handedBack < made else { return nil }
            try awaitAnswers()
        }
    }

    /// Makes and sends batches while a copy has room and the window is not full.
    private func submitWhileRoom() throws {
        while !exhausted, made - handedBack < window, let lane = laneWithRoom() {
            guard let batch = try source() else {
                exhausted = true
                return
            }
            let id =
                sendsStridedRows && !batch.isDense
                ? try lanes[lane].send(MethodName.forward, StridedForwardParams(input: batch, training: false))
                : try lanes[lane].send(MethodName.forward, ForwardParams(input: batch.dense(), training: false))
            inFlight[lane].append((made, id, batch.rows))
            made += 1
        }
    }

    /// The copy with the fewest requests in hand (below `depth`), taking turns among equals.
    private func laneWithRoom() -> Int? {
        var best: Int?
        for k in 0..<lanes.count {
            let lane = (nextLane + k) % lanes.count
            if inFlight[lane].count < depth, best.map({ inFlight[lane].count < inFlight[$0].count }) ?? true { best = lane }
        }
        if let best { nextLane = (best + 1) % lanes.count }
        return best
    }

    /// Takes every answer that is ready, waiting for one if none is.
    private func awaitAnswers() throws {
        let busy = lanes.indices.filter { !inFlight[$0].isEmpty }
        // An answer already read off the pipe, or a copy in this process, would not wake a poll.
        if let lane = busy.first(where: { lanes[$0].answerDescriptor == nil || lanes[$0].hasBufferedInput }) {
            return try takeAnswer(from: lane)
        }
        var fds = busy.map { pollfd(fd: lanes[$0].answerDescriptor!, events: Int16(POLLIN), revents: 0) }
        // Bounded, so that a copy that stops answering meets its deadline in `receive` below.
        let ready = poll(&fds, nfds_t(fds.count), Self.pollMilliseconds)
        if ready > 0 {
            for (k, fd) in fds.enumerated() where fd.revents != 0 { try takeAnswer(from: busy[k]) }
        } else if ready == 0 || errno != EINTR {
            // Nothing within the bound: wait on the oldest batch's copy, under that call's deadline.
            let oldest = busy.min { inFlight[$0][0].sequence < inFlight[$1][0].sequence }!
            try takeAnswer(from: oldest)
        }
    }

    /// Receives `lane`'s oldest answer and keeps it until its turn.
    private func takeAnswer(from lane: Int) throws {
        let (sequence, id, rows) = inFlight[lane].removeFirst()
        let plugin = lanes[lane]
        let output = try plugin.receive(id, method: MethodName.forward, as: ForwardResult.self).output
        guard output.shape == [rows, outputWidth] else {
            throw plugin.reject(
                during: MethodName.forward, reason: "output shape \(output.shape), expected \([rows, outputWidth])")
        }
        answered[sequence] = output
        answersPerLane[lane] += 1
    }

    static let pollMilliseconds: Int32 = 1000
}
