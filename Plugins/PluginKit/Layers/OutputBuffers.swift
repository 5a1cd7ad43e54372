/// The output storage of a layer: two training buffers used alternately and
/// one for inference.
///
/// The training output of step n is still referenced by the next layer's cached
/// input when step n+1 starts; writing into that buffer again would make a
/// copy-on-write copy, while the other one is by then referenced only here and
/// is overwritten in place (the scheme `Dense` uses). Inference writes to its own
/// buffer, so it never touches what backward reads.
struct OutputBuffers {
    private var bufferA = Matrix(rows: 0, cols: 0)
    private var bufferB = Matrix(rows: 0, cols: 0)
    private var inferenceBuffer = Matrix(rows: 0, cols: 0)
    private var latestIsA = false

    /// The latest training output.
    var latest: Matrix { latestIsA ? bufferA : bufferB }

    /// Hands `body` the next buffer with `count` elements (contents unspecified;
    /// `body` overwrites them and may reshape it freely), then gives it the shape
    /// `rows x cols` and returns it.
    mutating func fill(rows: Int, cols: Int, training: Bool, _ body: (inout Matrix) -> Void) -> Matrix {
        if training {
            latestIsA.toggle()
            if latestIsA {
                return Self.fill(&bufferA, rows: rows, cols: cols, body)
            } else {
                return Self.fill(&bufferB, rows: rows, cols: cols, body)
            }
        }
        return Self.fill(&inferenceBuffer, rows: rows, cols: cols, body)
    }

    private static func fill(_ m: inout Matrix, rows: Int, cols: Int, _ body: (inout Matrix) -> Void) -> Matrix {
        m.reshapeDiscardingContents(rows: rows, cols: cols)
        body(&m)
        precondition(
            m.values.count == rows * cols, "OutputBuffers: the layer wrote \(m.values.count) values, expected \(rows * cols)")
        m.rows = rows
        m.cols = cols
        return m
    }
}
