/// Long short-term memory layer (Keras `LSTM`, optionally wrapped in `Bidirectional`
/// with concatenated outputs), trained by full backpropagation through time.
///
/// Input `batch x (inputLength * inputChannels)`, time-major. Output:
/// - `returnSequences`: `batch x (inputLength * outputChannels)`, step t holding h_t;
/// - otherwise `batch x outputChannels` (`outputLength == 1`): the state after the last
///   processed step.
/// `outputChannels` is `units`, or `2 * units` when `bidirectional`: the forward
/// direction's channels first, then the reverse direction's (which reads the sequence
/// from its end; with `returnSequences` its state at step t is aligned with step t, and
/// without, its state after reading step 0 is used, as Keras' `Bidirectional`).
///
/// Gates i, f, g, o (Keras order); kernel Glorot uniform, recurrent kernel orthogonal,
/// bias zero except 1 for the forget gate. The input projections of all steps are one
/// sgemm per direction, each step's recurrent product another.
///
/// Parameters: "\(name).kernel" (C x 4H), "\(name).recurrent_kernel" (H x 4H),
/// "\(name).bias" (1 x 4H); bidirectional: the same under "\(name).forward." and
/// "\(name).backward.".
public final class LSTM: SequenceLayer {
    public let inputLength: Int
    public let inputChannels: Int
    public let units: Int
    public let returnSequences: Bool
    public let bidirectional: Bool
    public var outputLength: Int { returnSequences ? inputLength : 1 }
    public var outputChannels: Int { bidirectional ? 2 * units : units }

    let directions: [LSTMDirection]
    public var weights: [Weight] { directions.flatMap(\.weights) }

    private var outputs = OutputBuffers()
    private var trainingBatch = -1
    private var gradInput = Matrix(rows: 0, cols: 0)

    public init(
        name: String, inputLength: Int, inputChannels: Int, units: Int, returnSequences: Bool,
        bidirectional: Bool = false, rng: inout SeededGenerator
    ) {
        precondition(
            inputLength > 0 && inputChannels > 0 && units > 0,
            "LSTM \(name): length, channels and units must be positive")
        self.inputLength = inputLength
        self.inputChannels = inputChannels
        self.units = units
        self.returnSequences = returnSequences
        self.bidirectional = bidirectional
        if bidirectional {
            directions = [
                LSTMDirection(
                    name: "\(name).forward", length: inputLength, channels: inputChannels, units: units,
                    reverse: false, rng: &rng),
                LSTMDirection(
                    name: "\(name).backward", length: inputLength, channels: inputChannels, units: units,
                    reverse: true, rng: &rng),
            ]
        } else {
            directions = [
                LSTMDirection(
                    name: name, length: inputLength, channels: inputChannels, units: units,
                    reverse: false, rng: &rng)
            ]
        }
    }

    /// The layout of direction `index` within the output.
    private func layout(_ index: Int) -> LSTMDirection.OutputLayout {
        .init(sequences: returnSequences, width: outputChannels, offset: index * units)
    }

    public func forward(_ input: Matrix, training: Bool) -> Matrix {
        precondition(
            input.cols == inputSize && input.isConsistent,
            "LSTM \(directions[0].kernel.name): input has \(input.cols) columns, expected \(inputSize)")
        for d in directions { d.checkParameterShapes() }
        let batch = input.rows
        let x = LayerMath.view(input, rows: batch * inputLength, cols: inputChannels)
        if training { trainingBatch = batch }
        return outputs.fill(rows: batch, cols: outputSize, training: training) { out in
            guard batch > 0 else { return }
            out.values.withUnsafeMutableBufferPointer { o in
                for (index, d) in directions.enumerated() {
                    d.forward(x, batch: batch, training: training, out: o.baseAddress!, layout: layout(index))
                }
            }
        }
    }

    public func backward(_ gradOutput: Matrix, needInputGradient: Bool) -> Matrix? {
        precondition(trainingBatch >= 0, "LSTM \(directions[0].kernel.name): backward called before a training forward")
        precondition(
            gradOutput.rows == trainingBatch && gradOutput.cols == outputSize && gradOutput.isConsistent,
            "LSTM \(directions[0].kernel.name): gradient is \(gradOutput.rows)x\(gradOutput.cols), expected \(trainingBatch)x\(outputSize)"
        )
        for d in directions { d.checkParameterShapes() }
        let batch = trainingBatch
        if batch == 0 {
            return needInputGradient ? Matrix(rows: 0, cols: inputSize) : nil
        }
        gradOutput.values.withUnsafeBufferPointer { g in
            for (index, d) in directions.enumerated() {
                d.backward(
                    g.baseAddress!, batch: batch, layout: layout(index), needInputGradient: needInputGradient,
                    gradInput: &gradInput, accumulate: index > 0)
            }
        }
        guard needInputGradient else { return nil }
        gradInput.rows = batch
        gradInput.cols = inputSize
        return gradInput
    }
}
