import PluginProtocol

/// The training windows' statistics a plugin receives in `fit`, in double precision.
public struct TrainingStatistics: Sendable {
    public var count: Int
    /// `[window]`: the mean window.
    public var mean: [Double]
    /// `[window × window]`, row-major: the population covariance.
    public var covariance: [Double]
    public var windowSize: Int { mean.count }

    public init(count: Int, mean: [Double], covariance: [Double]) {
        self.count = count
        self.mean = mean
        self.covariance = covariance
    }

    /// From the protocol's message, after its checks.
    public init(_ params: FitParams) {
        self.init(
            count: params.count, mean: params.mean.values.map(Double.init), covariance: params.covariance.values.map(Double.init))
    }
}

/// A layer (or a container of layers) that sets part of its state from the
/// training statistics before training: a PCA basis, for instance. `PluginServer`
/// declares the `fit` capability and forwards the statistics to the model.
public protocol FittableLayer: Layer {
    func fit(_ statistics: TrainingStatistics) throws(RPCError)
}
