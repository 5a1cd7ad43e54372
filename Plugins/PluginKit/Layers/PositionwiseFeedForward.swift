/// The transformer's position-wise feed-forward block: two dense maps applied to
/// every step independently, `y_t = act(x_t · W1 + b1) · W2 + b2` (the second linear).
/// Input and output `batch x (length * channels)`, time-major; each map is one sgemm
/// over all `batch * length` steps.
/// Parameters "\(name).hidden.weight" (channels x hidden), "\(name).hidden.bias",
/// "\(name).output.weight" (hidden x channels), "\(name).output.bias" (`Dense`'s
/// Glorot-uniform weights, zero biases).
public final class PositionwiseFeedForward: SequenceLayer {
    public let inputLength: Int
    public let inputChannels: Int
    public let hiddenSize: Int
    public var outputLength: Int { inputLength }
    public var outputChannels: Int { inputChannels }

    public let hidden: Dense
    public let output: Dense
    public var weights: [Weight] { hidden.weights + output.weights }
    private var trainingBatch = -1

    public init(
        name: String, length: Int, channels: Int, hidden: Int, activation: Activation,
        rng: inout SeededGenerator
    ) {
        precondition(
            length > 0 && channels > 0 && hidden > 0,
            "PositionwiseFeedForward \(name): length, channels and hidden must be positive")
        inputLength = length
        inputChannels = channels
        hiddenSize = hidden
        self.hidden = Dense(inputSize: channels, outputSize: hidden, activation: activation, name: "\(name).hidden", rng: &rng)
        self.output = Dense(inputSize: hidden, outputSize: channels, activation: .linear, name: "\(name).output", rng: &rng)
    }

    public func forward(_ input: Matrix, training: Bool) -> Matrix {
        precondition(
            input.cols == inputSize && input.isConsistent,
            "PositionwiseFeedForward \(hidden.weight.name): input has \(input.cols) columns, expected \(inputSize)")
        let batch = input.rows
        if training { trainingBatch = batch }
        let steps = LayerMath.view(input, rows: batch * inputLength, cols: inputChannels)
        let y = output.forward(hidden.forward(steps, training: training), training: training)
        return LayerMath.view(y, rows: batch, cols: inputSize)
    }

    public func backward(_ gradOutput: Matrix, needInputGradient: Bool) -> Matrix? {
        precondition(trainingBatch >= 0, "PositionwiseFeedForward: backward called before a training forward")
        precondition(
            gradOutput.rows == trainingBatch && gradOutput.cols == inputSize,
            "PositionwiseFeedForward: gradient is \(gradOutput.rows)x\(gradOutput.cols), expected \(trainingBatch)x\(inputSize)")
        let g = LayerMath.view(gradOutput, rows: trainingBatch * inputLength, cols: inputChannels)
        guard let gh = output.backward(g, needInputGradient: true) else {
            preconditionFailure("PositionwiseFeedForward: no gradient from the output map")
        }
        guard let gx = hidden.backward(gh, needInputGradient: needInputGradient) else { return nil }
        return LayerMath.view(gx, rows: trainingBatch, cols: inputSize)
    }
}
