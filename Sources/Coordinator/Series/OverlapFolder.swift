/// Folds overlapping windows back into one series by averaging, at every position, the
/// predictions of all windows that cover it - the natural inverse of stride-1 windowing
/// for writing a reconstruction with one value per input row.
package struct OverlapFolder: Sendable {
    package let seriesLength: Int
    package let windowSize: Int
    private var sums: [Double]
    private var counts: [UInt32]

    package init(seriesLength: Int, windowSize: Int) {
        precondition(seriesLength >= 0 && windowSize >= 1, "invalid folder dimensions")
        self.seriesLength = seriesLength
        self.windowSize = windowSize
        sums = Array(repeating: 0, count: seriesLength)
        counts = Array(repeating: 0, count: seriesLength)
    }

    /// Adds one window's values (`windowSize` of them) at `windowStart`.
    package mutating func add(windowStart: Int, values: UnsafeBufferPointer<Float>) {
        precondition(values.count == windowSize, "expected \(windowSize) values, got \(values.count)")
        precondition(
            windowStart >= 0 && windowStart + windowSize <= seriesLength,
            "window start \(windowStart) out of range")
        for offset in 0..<windowSize {
            sums[windowStart + offset] += Double(values[offset])
            counts[windowStart + offset] += 1
        }
    }

    /// The averaged series; a position no window covered is NaN, so a gap shows up instead
    /// of silently reading as 0.
    package func result() -> [Double] {
        (0..<seriesLength).map { counts[$0] == 0 ? .nan : sums[$0] / Double(counts[$0]) }
    }
}
