import CVectorMath

/// Element-wise activation functions of a `Dense` layer.
///
/// The raw values are the names used in plugin configuration (Keras spelling),
/// hence `String` + `Codable`.
public enum Activation: String, CaseIterable, Sendable, Codable {
    case linear, tanh, relu, sigmoid

    /// Applies f in place.
    public func apply(_ m: inout Matrix) {
        precondition(m.isConsistent, "Activation.apply: matrix data count does not match its shape")
        m.values.withUnsafeMutableBufferPointer { apply(to: $0) }
    }

    /// Given the layer's OUTPUT y = f(z), multiplies `gradient` in place by f'(z).
    ///
    /// All four derivatives are expressible through y alone (tanh' = 1 - y²,
    /// sigmoid' = y(1 - y), relu' = [y > 0]), so layers keep only their output
    /// and never need to cache the pre-activation z.
    public func backward(output: Matrix, gradient: inout Matrix) {
        precondition(
            output.rows == gradient.rows && output.cols == gradient.cols,
            "Activation.backward: output is \(output.rows)x\(output.cols), gradient is \(gradient.rows)x\(gradient.cols)")
        precondition(
            output.isConsistent && gradient.isConsistent,
            "Activation.backward: matrix data count does not match its shape")
        if self == .linear { return }
        output.values.withUnsafeBufferPointer { y in
            gradient.values.withUnsafeMutableBufferPointer { g in
                multiplyByDerivative(output: y, gradient: UnsafeBufferPointer(g), into: g)
            }
        }
    }

    /// In-place f over raw storage; the switch sits outside the loops so each
    /// loop body is branch-free and vectorises. tanh and sigmoid run `FastMath`'s arithmetic
    /// at the CPU's widest vector width (CVectorMath), with the same results.
    func apply(to buffer: UnsafeMutableBufferPointer<Float>) {
        guard let p = buffer.baseAddress else { return }
        let n = buffer.count
        switch self {
        case .linear:
            return
        case .tanh:
            fe_tanh_f32(p, n)
        case .relu:
            for i in 0..<n { p[i] = max(p[i], 0) }
        case .sigmoid:
            fe_sigmoid_f32(p, n)
        }
    }

    /// `result[i] = gradient[i] * f'(z_i)` with f' written via `output[i] = f(z_i)`.
    ///
    /// `result` may be the same memory as `gradient` (in-place use); each element
    /// is read before it is written. Having a separate destination lets `Dense`
    /// fuse "copy the incoming gradient" and "multiply by f'" into one pass
    /// without mutating the caller's matrix.
    func multiplyByDerivative(
        output: UnsafeBufferPointer<Float>,
        gradient: UnsafeBufferPointer<Float>,
        into result: UnsafeMutableBufferPointer<Float>
    ) {
        precondition(
            output.count == gradient.count && gradient.count == result.count,
            "Activation: buffer sizes differ")
        guard let y = output.baseAddress, let g = gradient.baseAddress, let r = result.baseAddress else { return }
        let n = result.count
        switch self {
        case .linear:
            if UnsafePointer(r) != g { r.update(from: g, count: n) }
        case .tanh:
            for i in 0..<n { let yi = y[i]; r[i] = g[i] * (1 - yi * yi) }
        case .relu:
            // Branch-free (a multiply by 0 or 1), so the loop vectorises; a data-dependent
            // branch here cost as much as the rest of a dense layer's backward pass.
            for i in 0..<n { r[i] = g[i] * Float(y[i] > 0 ? 1 : 0) }
        case .sigmoid:
            for i in 0..<n { let yi = y[i]; r[i] = g[i] * (yi * (1 - yi)) }
        }
    }
}
