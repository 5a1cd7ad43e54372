import PluginProtocol
import PrincipalComponents

/// The reference every run is measured against: PCA of the same interface size
/// fitted on the training windows, the best linear autoencoder there is (closed
/// form, milliseconds). Its statistics are also what `fit` sends to plugins.
final class PCABaseline {
    let moments: SecondMoments
    private var subspaces: [Int: PrincipalSubspace] = [:]

    private init(moments: SecondMoments) {
        self.moments = moments
    }

    /// The training windows' statistics; nil when the window is too large for a covariance.
    static func fit(_ training: WindowCatalog) -> PCABaseline? {
        guard training.count > 0, training.windowSize <= min(SecondMoments.maxDimension, FitParams.maxWindow) else { return nil }
        var moments = SecondMoments(dimension: training.windowSize)
        forEachBatch(training, in: 0..<training.count) { values, rows in moments.add(values, rows: rows) }
        return PCABaseline(moments: moments)
    }

    /// The `fit` message: the same statistics in the protocol's f32 tensors.
    var fitParams: FitParams {
        let n = moments.dimension
        return FitParams(
            count: moments.count, mean: Tensor(shape: [n], values: moments.mean.map(Float.init)),
            covariance: Tensor(shape: [n, n], values: moments.covariance.map(Float.init)))
    }

    /// Window MSE of PCA-`rank` on `windows`, one figure per column; nil when `rank` exceeds the window.
    func windowMSE(rank: Int, on windows: WindowCatalog) throws -> [Double]? {
        guard rank >= 1, rank <= moments.dimension, windows.windowSize == moments.dimension else { return nil }
        // At full rank PCA reconstructs exactly: what the sums would give is rounding noise
        // (1e-31), and a ratio to it would read as a model 1e17 times worse than PCA.
        if rank == moments.dimension { return [Double](repeating: 0, count: windows.columns.count) }
        let subspace = try self.subspace(rank: rank)
        let per = windows.perColumn
        return (0..<windows.columns.count).map { c in
            var sum = 0.0
            Self.forEachBatch(windows, in: (c * per)..<((c + 1) * per)) { values, rows in
                sum += subspace.squaredError(values, rows: rows)
            }
            return sum / Double(max(per * windows.windowSize, 1))
        }
    }

    private func subspace(rank: Int) throws -> PrincipalSubspace {
        if let s = subspaces[rank] { return s }
        let s = try PrincipalSubspace.fit(moments, rank: rank)
        subspaces[rank] = s
        return s
    }

    private static func forEachBatch(
        _ windows: WindowCatalog, in range: Range<Int>, _ body: (UnsafeBufferPointer<Float>, Int) -> Void
    ) {
        let all = Array(range)
        var buffer: [Float] = []
        var start = 0
        while start < all.count {
            let end = min(start + 1024, all.count)
            windows.fill(all[start..<end], into: &buffer)
            buffer.withUnsafeBufferPointer { body($0, end - start) }
            start = end
        }
    }
}
