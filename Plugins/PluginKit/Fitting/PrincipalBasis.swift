import PluginProtocol
import PrincipalComponents

/// A window-side mean and an orthonormal basis of `rank` components: the state
/// shared by `PrincipalProjection` and `PrincipalReconstruction`.
///
/// Before a fit it holds the first `rank` DCT-II basis vectors about zero (close
/// to the principal components of smooth series); `fit` replaces them with the
/// exact principal components of the training windows. Both tensors are fitted
/// state, not trained: saved and loaded, never moved by the optimiser.
public final class PrincipalBasis {
    public let windowSize: Int
    public let rank: Int
    /// `[1 x windowSize]`, named "\(name).mean".
    public let mean: Weight
    /// `[windowSize x rank]`, named "\(name).basis"; column j is component j.
    public let basis: Weight

    public init(windowSize: Int, rank: Int, name: String) {
        precondition(rank >= 1 && rank <= windowSize, "PrincipalBasis: rank \(rank) must lie in 1...\(windowSize)")
        self.windowSize = windowSize
        self.rank = rank
        let dct = FixedTransform.dct(windowSize)
        var b = Matrix(rows: windowSize, cols: rank)
        for i in 0..<windowSize { for j in 0..<rank { b[i, j] = dct[i, j] } }
        mean = Weight(name: "\(name).mean", value: Matrix(rows: 1, cols: windowSize), trainable: false)
        basis = Weight(name: "\(name).basis", value: b, trainable: false)
    }

    public var weights: [Weight] { [mean, basis] }

    /// Sets the mean and the leading principal components of the statistics.
    public func fit(_ statistics: TrainingStatistics) throws(RPCError) {
        guard statistics.windowSize == windowSize else {
            throw .invalidParams("fit: statistics of windows of \(statistics.windowSize), the model's window is \(windowSize)")
        }
        let subspace: PrincipalSubspace
        do {
            subspace = try PrincipalSubspace.fit(mean: statistics.mean, covariance: statistics.covariance, rank: rank)
        } catch {
            throw .invalidParams("fit: \(error)")
        }
        mean.value = Matrix(rows: 1, cols: windowSize, values: subspace.mean.map(Float.init))
        basis.value = Matrix(rows: windowSize, cols: rank, values: subspace.basis.map(Float.init))
    }
}
