/// Row-major dense `Float` matrix: element `(r, c)` lives at `values[r * cols + c]`.
///
/// A plain value type backed by one contiguous `[Float]`, so it can be handed
/// straight to CBLAS (`lda == cols`) and crosses concurrency domains freely.
/// Copies are cheap until written (copy-on-write); the layers rely on that to
/// pass activations between each other without copying, and keep their own
/// scratch buffers uniquely referenced so that writing into them never copies.
public struct Matrix: Equatable, Sendable {
    public var rows: Int
    public var cols: Int
    /// Row-major storage; `values.count == rows * cols` is an invariant every
    /// operation checks before touching raw memory.
    public var values: [Float]

    /// A `rows x cols` matrix filled with `repeating`.
    public init(rows: Int, cols: Int, repeating: Float = 0) {
        precondition(rows >= 0 && cols >= 0, "Matrix dimensions must be non-negative")
        self.rows = rows
        self.cols = cols
        self.values = [Float](repeating: repeating, count: rows * cols)
    }

    /// Wraps existing row-major storage without copying it.
    public init(rows: Int, cols: Int, values: [Float]) {
        precondition(rows >= 0 && cols >= 0, "Matrix dimensions must be non-negative")
        precondition(
            values.count == rows * cols,
            "Matrix has \(values.count) values, expected \(rows) x \(cols)")
        self.rows = rows
        self.cols = cols
        self.values = values
    }

    /// Element access. Both indices are checked separately: a flat-index check
    /// alone would let an out-of-range column silently read the next row.
    public subscript(r: Int, c: Int) -> Float {
        get {
            precondition(r >= 0 && r < rows && c >= 0 && c < cols, "Matrix index (\(r), \(c)) out of range")
            return values[r * cols + c]
        }
        set {
            precondition(r >= 0 && r < rows && c >= 0 && c < cols, "Matrix index (\(r), \(c)) out of range")
            values[r * cols + c] = newValue
        }
    }

    /// Number of scalars (`rows * cols`).
    var count: Int { rows * cols }

    /// True when `values` really holds `rows * cols` elements. `rows`, `cols` and
    /// `values` are public vars, so the invariant can be broken from outside;
    /// raw-pointer code checks this first.
    var isConsistent: Bool { values.count == rows * cols && rows >= 0 && cols >= 0 }

    /// Makes this a `rows x cols` matrix whose contents are unspecified (callers
    /// overwrite them). Keeps the existing allocation whenever the element count
    /// already matches, which is what lets layers reuse buffers batch after batch.
    mutating func reshapeDiscardingContents(rows: Int, cols: Int) {
        precondition(rows >= 0 && cols >= 0, "Matrix dimensions must be non-negative")
        if values.count != rows * cols {
            values = [Float](repeating: 0, count: rows * cols)
        }
        self.rows = rows
        self.cols = cols
    }

    /// Sets every element to zero in place (no reallocation).
    mutating func setZero() {
        values.withUnsafeMutableBufferPointer { buffer in
            guard let base = buffer.baseAddress, !buffer.isEmpty else { return }
            base.update(repeating: 0, count: buffer.count)
        }
    }
}
