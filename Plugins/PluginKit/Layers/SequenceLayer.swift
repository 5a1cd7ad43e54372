/// A layer whose input and output are batches of sequences.
///
/// Shape convention (shared by every layer in this folder): a batch is a `Matrix`
/// with one sample per row; a sample of `length` steps and `channels` channels is
/// flattened time-major, element (t, c) at column `t * channels + c`. A batch is
/// therefore also a `(batch * length) x channels` matrix over the same storage,
/// which is how position-wise layers run as one matrix product.
///
/// A layer that reduces a sequence to one vector (an `LSTM` without
/// `returnSequences`) reports `outputLength == 1`.
public protocol SequenceLayer: Layer {
    var inputLength: Int { get }
    var inputChannels: Int { get }
    var outputLength: Int { get }
    var outputChannels: Int { get }
}

extension SequenceLayer {
    /// Columns of one input sample: `inputLength * inputChannels`.
    public var inputSize: Int { inputLength * inputChannels }
    /// Columns of one output sample: `outputLength * outputChannels`.
    public var outputSize: Int { outputLength * outputChannels }
}
