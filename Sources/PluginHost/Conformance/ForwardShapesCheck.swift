import PluginProtocol

extension ConformanceChecker {
    static let probeBatchSizes = [1, 3, 17]

    /// `forward shapes`: inference and training forwards of several batch sizes answer
    /// `[batch] + output_shape`; an inference forward changes nothing (the same input gives
    /// the same bits after another inference forward, and a `backward` after an inference
    /// forward still refers to the last training forward).
    func checkForwardShapes() throws -> String {
        let s = try start()
        defer { s.stop() }
        for batch in Self.probeBatchSizes {
            _ = try forward(s, input(batch: batch, stream: UInt64(batch)))
        }
        // Inference forwards change nothing: the same input gives the same bits again...
        let x = input(batch: 3)
        let first = try forward(s, x)
        _ = try forward(s, input(batch: 17, stream: 17))
        if let d = Self.difference(first, try forward(s, x)) {
            throw ConformanceFailure("the same inference forward gave other values after another inference forward: \(d)")
        }
        // ... and backward still refers to the last training forward.
        _ = try forward(s, x, training: true)
        _ = try forward(s, input(batch: 17, stream: 17))
        let r = randomTensor([3] + shapes.output, in: -1...1, stream: 2)
        do {
            _ = try backward(s, r, needInputGradient: true)
        } catch {
            throw ConformanceFailure(
                "a training forward of batch 3, an inference forward of batch 17, then backward for batch 3: \(error)")
        }
        let sizes = Self.probeBatchSizes.map { "\([$0] + shapes.output)" }.joined(separator: ", ")
        return
            "inputs \(shapes.input) in batches of \(Self.probeBatchSizes.map(String.init).joined(separator: ", ")) give outputs \(sizes); "
            + "training forwards too; an inference forward changes no state"
    }
}
