/// The original tool's search over the interface size.
///
/// Growing: start at `initial`, train, and add `step` until the validation MSE
/// is at or below the threshold or the size reaches the window size.
/// Shrinking: start at `initial` and subtract `step` while the threshold still
/// holds, keeping the smallest size that met it. Either way the search stops at
/// the data's bounds (1 ... window size).
public struct InterfaceSearch: Sendable {
    public var initial: Int
    public var step: Int
    public var threshold: Double
    public var growing: Bool
    public var windowSize: Int

    public init(initial: Int, step: Int, threshold: Double, growing: Bool, windowSize: Int) {
        self.initial = initial
        self.step = step
        self.threshold = threshold
        self.growing = growing
        self.windowSize = windowSize
    }

    /// One search step's outcome.
    public struct Step: Sendable, Codable, Equatable {
        public var interfaceSize: Int
        public var validationMSE: Double
        public var metThreshold: Bool

        enum CodingKeys: String, CodingKey {
            case interfaceSize = "interface_size", validationMSE = "validation_mse", metThreshold = "met_threshold"
        }
    }

    /// Runs `train(size)` (which returns the validation MSE) over the sizes the
    /// search visits; returns the steps and the size chosen. The caller keeps
    /// the chosen size's model: when shrinking past the threshold, it retrains it.
    public func run(_ train: (Int) throws -> Double) rethrows -> (steps: [Step], chosen: Int) {
        var steps: [Step] = []
        var size = min(max(initial, 1), windowSize)
        while true {
            let mse = try train(size)
            let met = mse <= threshold
            steps.append(Step(interfaceSize: size, validationMSE: mse, metThreshold: met))
            if growing {
                if met || size >= windowSize { return (steps, size) }
                size = min(size + step, windowSize)
            } else {
                guard met else {
                    // The previous (larger) size was the smallest that met the threshold; none did: keep the first.
                    let chosen = steps.dropLast().last(where: \.metThreshold)?.interfaceSize ?? steps[0].interfaceSize
                    return (steps, chosen)
                }
                if size <= 1 { return (steps, size) }
                size = max(size - step, 1)
            }
        }
    }
}
