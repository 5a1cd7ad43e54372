/// The geometry of a "valid" pooling over time, shared by ``MaxPool1D`` and ``AveragePool1D``:
/// windows of `poolSize` steps every `stride` steps (default `poolSize`), per channel.
struct PoolingWindow {
    let inputLength: Int
    let channels: Int
    let poolSize: Int
    let stride: Int
    /// `(inputLength - poolSize) / stride + 1`.
    let outputLength: Int

    init(_ layer: String, inputLength: Int, channels: Int, poolSize: Int, stride: Int?) {
        let s = stride ?? poolSize
        precondition(channels > 0 && poolSize > 0 && s > 0, "\(layer): channels, pool size and stride must be positive")
        precondition(inputLength >= poolSize, "\(layer): input length \(inputLength) is shorter than the pool \(poolSize)")
        self.inputLength = inputLength
        self.channels = channels
        self.poolSize = poolSize
        self.stride = s
        self.outputLength = (inputLength - poolSize) / s + 1
    }
}
