import PluginProtocol

/// Stride-1 sliding windows over one normalised series, without materialising them.
///
/// A 30,000-row series with a window of 128 has almost 4 million window values; copying
/// only the windows of the current batch keeps memory at the size of the series.
package struct WindowSet: Sendable {
    package let series: [Float]
    package let windowSize: Int

    /// - Precondition: `windowSize >= 1` and `series.count >= windowSize` (check user input
    ///   with `CSVReader.ensureRows` first).
    package init(series: [Float], windowSize: Int) {
        precondition(windowSize >= 1, "window size must be at least 1")
        precondition(series.count >= windowSize, "series shorter than the window size")
        self.series = series
        self.windowSize = windowSize
    }

    /// Number of windows: every start position from 0 to `series.count - windowSize`.
    package var count: Int { series.count - windowSize + 1 }

    /// The windows starting at `starts` as overlapping rows of their stretch of the series:
    /// sent as is to plugins that read them (`StridedRows`), expanded for the others.
    package func rows(_ starts: Range<Int>) -> StridedRows {
        precondition(!starts.isEmpty && starts.lowerBound >= 0 && starts.upperBound <= count, "windows \(starts) out of range")
        return StridedRows(
            shape: [starts.count, windowSize], rowStride: 1,
            values: Array(series[starts.lowerBound..<(starts.upperBound - 1 + windowSize)]))
    }

    /// Copies the windows starting at `indices` one after another (row-major
    /// `[indices.count x windowSize]`) into `into`, which must hold at least that many
    /// values.
    package func fill<C: Collection>(_ indices: C, into: UnsafeMutableBufferPointer<Float>) where C.Element == Int {
        precondition(into.count >= indices.count * windowSize, "destination too small for the windows")
        guard let destination = into.baseAddress else { return }
        let count = self.count
        series.withUnsafeBufferPointer { source in
            guard let base = source.baseAddress else { return }
            var offset = 0
            for start in indices {
                precondition(start >= 0 && start < count, "window start \(start) out of range 0..<\(count)")
                (destination + offset).update(from: base + start, count: windowSize)
                offset += windowSize
            }
        }
    }
}
