/// Optional methods a plugin may declare in `initialize`'s `capabilities`.
/// The coordinator sends a capability's method only to plugins that declare it,
/// so plugins written before a capability existed are unaffected.
public enum PluginCapability {
    /// `fit`: the plugin takes the training windows' mean and covariance before
    /// training, for a closed-form fit (PCA) or a data-dependent initialisation.
    public static let fit = "fit"
    /// `backward` with `"step": true`: the plugin applies the optimiser step right after the
    /// backward pass, saving the coordinator a round trip per plugin per batch.
    public static let stepInBackward = "step_in_backward"
    /// `row_stride` in `forward` inputs: the plugin reads overlapping rows (`StridedRows`), so
    /// the stride-1 windows of a series cross as the series. PluginKit plugins all declare it.
    public static let rowStride = "row_stride"
}

/// `fit` params: statistics of the training windows — the encoder's input and
/// the decoder's target — computed by the coordinator in double precision.
/// Sent after `configure` and before the first training `forward`.
public struct FitParams: Codable, Sendable, Equatable {
    /// How many windows the statistics describe.
    public var count: Int
    /// Shape `[window]`: the mean window.
    public var mean: Tensor
    /// Shape `[window, window]`: the population covariance (divided by `count`), symmetric.
    public var covariance: Tensor

    /// The largest window a fit is offered for (the covariance is then 64 MiB of f32).
    public static let maxWindow = 4096

    public init(count: Int, mean: Tensor, covariance: Tensor) {
        self.count = count
        self.mean = mean
        self.covariance = covariance
    }

    /// Checks the statistics against the window (a plugin's `windowSize` is the
    /// product of its encoder input or decoder output shape).
    public func validate(windowSize: Int) throws(RPCError) {
        guard count >= 1 else { throw .invalidParams("fit: count must be at least 1") }
        guard windowSize <= Self.maxWindow else { throw .invalidParams("fit: window \(windowSize) above \(Self.maxWindow)") }
        guard mean.shape == [windowSize] else { throw .invalidParams("fit: mean shape \(mean.shape) is not [\(windowSize)]") }
        guard covariance.shape == [windowSize, windowSize] else {
            throw .invalidParams("fit: covariance shape \(covariance.shape) is not [\(windowSize), \(windowSize)]")
        }
        let n = windowSize
        for i in 0..<n where covariance.values[i * n + i] < 0 {
            throw .invalidParams("fit: covariance has a negative variance at \(i)")
        }
    }
}
