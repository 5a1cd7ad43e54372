/// A dense f32 tensor as it crosses the protocol: `shape` is `[batch] + sample shape`.
///
/// Values are row-major. Every tensor is checked when it is decoded (see
/// `TensorCodec`): a peer never sees a tensor whose byte count disagrees with
/// its shape or that holds NaN or infinity.
public struct Tensor: Sendable, Equatable {
    public var shape: [Int]
    public var values: [Float]

    public init(shape: [Int], values: [Float]) {
        precondition(Tensor.elementCount(shape) == values.count, "shape \(shape) does not hold \(values.count) values")
        self.shape = shape
        self.values = values
    }

    /// A 2-D tensor `[rows, cols]`, the shape most methods use.
    public init(rows: Int, cols: Int, values: [Float]) {
        self.init(shape: [rows, cols], values: values)
    }

    public var rank: Int { shape.count }

    /// The product of `shape`, or nil if a dimension is negative or the product overflows.
    public static func elementCount(_ shape: [Int]) -> Int? {
        var n = 1
        for d in shape {
            guard d >= 0 else { return nil }
            let (p, overflow) = n.multipliedReportingOverflow(by: d)
            guard !overflow else { return nil }
            n = p
        }
        return n
    }

    /// The largest rank the protocol carries ([batch, time, channels, extra]).
    public static let maxRank = 4
}
