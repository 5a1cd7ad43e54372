/// A batch whose rows overlap: row `r` is `values[r * rowStride ..< r * rowStride + rowSize]`.
///
/// The stride-1 windows of a series are the series itself: a batch of 4,096 windows of 128 values
/// is 4,223 values this way, not 524,288, so encoding a long input moves a 128th of the bytes
/// across the process boundary. On the wire it is a tensor object with `row_stride` (docs/PROTOCOL.md,
/// section 4), sent only in `forward` inputs to plugins that declare `PluginCapability.rowStride`;
/// a receiver expands it into the dense tensor before anything else sees it. A dense tensor is
/// the case `rowStride == rowSize`.
public struct StridedRows: Sendable, Equatable {
    /// `[rows] + row shape`, as the dense tensor's.
    public let shape: [Int]
    /// Values from one row's start to the next's.
    public let rowStride: Int
    /// `(rows - 1) * rowStride + rowSize` values.
    public let values: [Float]

    /// Rows of `shape[1...]` that start `rowStride` values apart in `values`.
    public init(shape: [Int], rowStride: Int, values: [Float]) {
        precondition(
            Self.storedCount(shape: shape, rowStride: rowStride) == values.count,
            "\(values.count) values do not hold rows \(shape) \(rowStride) apart")
        self.shape = shape
        self.rowStride = rowStride
        self.values = values
    }

    /// The rows of a dense tensor (no copy).
    public init(_ tensor: Tensor) {
        shape = tensor.shape
        rowStride = tensor.shape.dropFirst().reduce(1, *)
        values = tensor.values
    }

    public var rows: Int { shape[0] }
    public var rowSize: Int { shape.dropFirst().reduce(1, *) }
    /// Whether the rows lie back to back, as in any tensor.
    public var isDense: Bool { rowStride == rowSize }

    /// The dense tensor: every row copied out (none when already dense).
    public func dense() -> Tensor {
        if isDense { return Tensor(shape: shape, values: values) }
        return values.withUnsafeBufferPointer { Self.expand($0, shape: shape, rowStride: rowStride) }
    }

    /// The most values the dense form may hold: the bytes sent no longer bound the memory a
    /// receiver allocates, so this does (512 MiB).
    public static let maxDenseValues = 1 << 27

    /// The values stored for rows `shape` `rowStride` apart, or nil if the protocol does not carry
    /// that: rank 2 to 4, at least one row of at least one value, `1 <= rowStride <= rowSize`, and
    /// at most `maxDenseValues` once dense.
    public static func storedCount(shape: [Int], rowStride: Int) -> Int? {
        guard shape.count >= 2, shape.count <= Tensor.maxRank, let dense = Tensor.elementCount(shape),
            dense <= maxDenseValues, shape[0] >= 1
        else { return nil }
        let rowSize = dense / shape[0]
        guard rowSize >= 1, rowStride >= 1, rowStride <= rowSize else { return nil }
        return (shape[0] - 1) * rowStride + rowSize
    }

    /// The dense tensor of the rows stored in `stored` (which holds `storedCount` values).
    static func expand(_ stored: UnsafeBufferPointer<Float>, shape: [Int], rowStride: Int) -> Tensor {
        let rows = shape[0]
        let rowSize = shape.dropFirst().reduce(1, *)
        let values = [Float](unsafeUninitializedCapacity: rows * rowSize) { out, initialized in
            for r in 0..<rows {
                (out.baseAddress! + r * rowSize).initialize(from: stored.baseAddress! + r * rowStride, count: rowSize)
            }
            initialized = rows * rowSize
        }
        return Tensor(shape: shape, values: values)
    }
}

/// `forward` params whose input rows overlap (`StridedRows`), for plugins that declare
/// `PluginCapability.rowStride`; a plugin reads them as `ForwardParams`, dense.
public struct StridedForwardParams: Codable, Sendable {
    public var input: StridedRows
    public var training: Bool

    public init(input: StridedRows, training: Bool) {
        self.input = input
        self.training = training
    }
}
