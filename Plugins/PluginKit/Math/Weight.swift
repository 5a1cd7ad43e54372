/// One named tensor of a model's state with its accumulated gradient (Keras's word, weights:
/// "parameters" are the plugin's knobs): trainable (the optimiser updates it) or fitted (set in
/// closed form, saved and loaded like the others).
///
/// A reference type so that a layer, the optimiser and serialisation code all
/// see (and update) the same storage without copying weights around.
public final class Weight {
    /// Stable identifier, e.g. `"encoder.0.weight"`; used to save and load weights.
    public let name: String
    public var value: Matrix
    /// Same shape as `value`. Layers ADD into it during backward; the optimiser
    /// (or `zeroGradient()`) clears it, which is what makes gradient accumulation
    /// over several batches possible.
    public var gradient: Matrix
    /// False for state that is fitted rather than learnt (a PCA basis): the
    /// optimiser leaves it alone and it is not counted as trainable.
    public let trainable: Bool

    /// Creates a weight with a zero gradient of the same shape as `value`.
    public init(name: String, value: Matrix, trainable: Bool = true) {
        precondition(value.isConsistent, "Weight \(name): matrix value count does not match its shape")
        self.name = name
        self.value = value
        self.trainable = trainable
        self.gradient = Matrix(rows: value.rows, cols: value.cols)
    }

    /// Clears the accumulated gradient in place (keeps the allocation).
    public func zeroGradient() {
        if gradient.rows != value.rows || gradient.cols != value.cols {
            gradient = Matrix(rows: value.rows, cols: value.cols)
        } else {
            gradient.setZero()
        }
    }
}
