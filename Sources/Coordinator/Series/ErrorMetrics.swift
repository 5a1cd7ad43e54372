/// Reconstruction error figures reported per column after evaluation.
package enum ErrorMetrics {
    /// Mean squared error; NaN for empty input (no data is not a perfect score).
    package static func mse(_ a: [Double], _ b: [Double]) -> Double {
        mean(a, b) { $0 * $0 }
    }

    /// Mean absolute error; NaN for empty input.
    package static func mae(_ a: [Double], _ b: [Double]) -> Double {
        mean(a, b) { abs($0) }
    }

    private static func mean(_ a: [Double], _ b: [Double], _ transform: (Double) -> Double) -> Double {
        precondition(a.count == b.count, "series lengths differ: \(a.count) vs \(b.count)")
        guard !a.isEmpty else { return .nan }
        var total = 0.0
        for index in a.indices { total += transform(a[index] - b[index]) }
        return total / Double(a.count)
    }
}
