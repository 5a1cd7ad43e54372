import PluginProtocol

/// Inference forwards spread over one or more processes of the same configured plugin, the
/// answers collected in the order the batches were submitted.
///
/// A plugin computes on one thread (the sandbox lets it start none), so on a machine with
/// several cores the coordinator runs copies of it, with the same state, in several processes.
/// Each copy keeps up to `depth` requests in hand, so it computes the next batch while the
/// coordinator reads the last one. Every copy computes a batch exactly as the first would, so
/// the outputs do not depend on how many there are.
public final class ForwardPipeline {
    private let lanes: [any PluginChannel]
    private let outputWidth: Int
    private let depth: Int
    /// Submitted and not yet collected, oldest first.
    private var inFlight: [(lane: Int, id: Int, rows: Int)] = []
    private var nextLane = 0

    /// - Parameters:
    ///   - lanes: handshaken, configured plugins in the same state.
    ///   - outputWidth: the values per row each answer must have.
    public init(lanes: [any PluginChannel], outputWidth: Int) {
        precondition(!lanes.isEmpty)
        self.lanes = lanes
        self.outputWidth = outputWidth
        // Two requests in hand only where tensors travel in shared memory (its bound is two): over
        // pipes, a second large request could block while the plugin blocks writing its answer.
        depth = lanes.allSatisfy { $0.info?.transport == .sharedMemory } ? 2 : 1
    }

    /// Whether another batch can be submitted before the oldest is collected.
    public var canSubmit: Bool { inFlight.count < lanes.count * depth }
    /// Batches submitted and not yet collected.
    public var pending: Int { inFlight.count }

    /// Sends `batch` to the next plugin in turn without waiting (`canSubmit` must hold).
    public func submit(_ batch: Tensor) throws {
        precondition(canSubmit, "collect before submitting more")
        let lane = nextLane
        nextLane = (nextLane + 1) % lanes.count
        let id = try lanes[lane].send(MethodName.forward, ForwardParams(input: batch, training: false))
        inFlight.append((lane, id, batch.shape[0]))
    }

    /// The oldest submitted batch's output, its shape checked.
    public func collect() throws -> Tensor {
        precondition(!inFlight.isEmpty, "nothing submitted")
        let (lane, id, rows) = inFlight.removeFirst()
        let plugin = lanes[lane]
        let output = try plugin.receive(id, method: MethodName.forward, as: ForwardResult.self).output
        guard output.shape == [rows, outputWidth] else {
            throw plugin.reject(
                during: MethodName.forward, reason: "output shape \(output.shape), expected \([rows, outputWidth])")
        }
        return output
    }
}
