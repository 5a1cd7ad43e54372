import PluginProtocol

extension ConformanceChecker {
    /// `overlapping rows` (only for plugins that declare `row_stride`): a `forward` whose input
    /// rows overlap (the stride-1 windows of a series, sent as the series) answers bit for bit
    /// what the same rows sent one by one answer. The coordinator relies on it to encode long inputs.
    func checkOverlappingRows() throws -> String {
        let s = try start()
        defer { s.stop() }
        guard s.info?.supports(PluginCapability.rowStride) == true else {
            return "the capability is not declared: the coordinator sends every row's values"
        }
        let rowSize = shapes.input.reduce(1, *)
        let rows = 5
        let series = randomTensor([(rows - 1) + rowSize], in: 0.1...0.9, stream: 51).values
        let windows = StridedRows(shape: [rows] + shapes.input, rowStride: 1, values: series)
        let strided = try s.call(
            MethodName.forward, StridedForwardParams(input: windows, training: false), as: ForwardResult.self
        ).output
        let dense = try forward(s, windows.dense())
        guard strided.shape == dense.shape else {
            throw ConformanceFailure("forward of overlapping rows answered shape \(strided.shape), expected \(dense.shape)")
        }
        if let d = Self.difference(strided, dense) {
            throw ConformanceFailure(
                "forward of \(rows) overlapping rows (row_stride 1) differs from the same rows sent whole: \(d)")
        }
        return "\(rows) overlapping rows (row_stride 1) answer bit for bit what the same rows sent whole answer"
    }
}
