/// Weight initialisation schemes.
///
/// Kept apart from the layers so plugins can re-initialise or build their own
/// parameters with exactly the same scheme (and the same random stream).
enum WeightInitialization {
    /// Glorot (Xavier) uniform, the Keras `Dense` default: U(-l, l) with
    /// l = sqrt(6 / (fanIn + fanOut)). Fills row-major, so the draw order (and
    /// therefore the weights for a given seed) is fixed.
    static func glorotUniform(
        rows fanIn: Int, cols fanOut: Int,
        rng: inout SeededGenerator
    ) -> Matrix {
        precondition(fanIn > 0 && fanOut > 0, "Glorot initialisation needs positive fan-in and fan-out")
        let limit = (6 / Float(fanIn + fanOut)).squareRoot()
        var m = Matrix(rows: fanIn, cols: fanOut)
        for i in 0..<m.values.count {
            m.values[i] = rng.uniform(-limit, limit)
        }
        return m
    }
}
