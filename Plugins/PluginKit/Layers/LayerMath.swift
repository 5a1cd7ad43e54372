/// Element-wise helpers shared by the sequence layers (raw-pointer loops, no allocation).
enum LayerMath {
    /// The same storage seen with another shape (no copy; `rows * cols` must match).
    @inline(__always)
    static func view(_ m: Matrix, rows: Int, cols: Int) -> Matrix {
        precondition(m.values.count == rows * cols, "view: \(m.values.count) values cannot be \(rows)x\(cols)")
        return Matrix(rows: rows, cols: cols, values: m.values)
    }

    /// `m[r, c] += v[c]` with `m` read as rows of `v.count` values.
    static func addRowVector(_ v: Matrix, to m: inout Matrix) {
        let width = v.values.count
        precondition(width > 0 && m.values.count % width == 0, "addRowVector: width mismatch")
        let rows = m.values.count / width
        v.values.withUnsafeBufferPointer { vb in
            m.values.withUnsafeMutableBufferPointer { mb in
                guard let vp = vb.baseAddress, let mp = mb.baseAddress else { return }
                for r in 0..<rows {
                    let row = mp + r * width
                    for c in 0..<width { row[c] += vp[c] }
                }
            }
        }
    }

    /// `m = f(m + bias)` with `m` read as rows of `bias.count` values, in blocks of rows small
    /// enough to stay in the L1 cache between the bias pass and the activation pass.
    static func addBiasAndActivate(_ m: inout Matrix, bias: Matrix, activation: Activation) {
        let width = bias.values.count
        precondition(width > 0 && m.values.count % width == 0, "addBiasAndActivate: width mismatch")
        let rows = m.values.count / width
        let block = max(1, 2048 / width)
        bias.values.withUnsafeBufferPointer { vb in
            m.values.withUnsafeMutableBufferPointer { mb in
                guard let vp = vb.baseAddress, let mp = mb.baseAddress else { return }
                var start = 0
                while start < rows {
                    let end = min(rows, start + block)
                    for r in start..<end {
                        let row = mp + r * width
                        for c in 0..<width { row[c] += vp[c] }
                    }
                    activation.apply(to: UnsafeMutableBufferPointer(start: mp + start * width, count: (end - start) * width))
                    start = end
                }
            }
        }
    }

    /// Σ p[0 ..< n] with eight partial sums (a single running sum is one dependent
    /// add per element; strict IEEE order keeps the compiler from splitting it).
    @inline(__always)
    static func sum(_ p: UnsafePointer<Float>, _ n: Int) -> Float {
        var s0: Float = 0, s1: Float = 0, s2: Float = 0, s3: Float = 0
        var s4: Float = 0, s5: Float = 0, s6: Float = 0, s7: Float = 0
        var i = 0
        while i + 8 <= n {
            s0 += p[i]; s1 += p[i + 1]; s2 += p[i + 2]; s3 += p[i + 3]
            s4 += p[i + 4]; s5 += p[i + 5]; s6 += p[i + 6]; s7 += p[i + 7]
            i += 8
        }
        while i < n { s0 += p[i]; i += 1 }
        return ((s0 + s1) + (s2 + s3)) + ((s4 + s5) + (s6 + s7))
    }

    /// max p[0 ..< n] (n > 0), eight lanes at a time: the scalar loop's compare-and-branch
    /// does not vectorise, and a maximum is exact in any order.
    @inline(__always)
    static func maximum(_ p: UnsafePointer<Float>, _ n: Int) -> Float {
        var top = p[0]
        var i = 0
        if n >= 8 {
            var lanes = UnsafeRawPointer(p).loadUnaligned(as: SIMD8<Float>.self)
            i = 8
            while i + 8 <= n {
                // A compare and a select (the generic pointwiseMax was not specialised: a call per lane).
                let v = UnsafeRawPointer(p + i).loadUnaligned(as: SIMD8<Float>.self)
                lanes = lanes.replacing(with: v, where: v .> lanes)
                i += 8
            }
            // By halves: the generic `max()` reduction is not specialised (a call per row).
            let four = lanes.lowHalf.replacing(with: lanes.highHalf, where: lanes.highHalf .> lanes.lowHalf)
            let two = four.lowHalf.replacing(with: four.highHalf, where: four.highHalf .> four.lowHalf)
            top = Swift.max(two[0], two[1])
        }
        while i < n { top = Swift.max(top, p[i]); i += 1 }
        return top
    }

    /// Σ (p[i] - mean)² with eight partial sums.
    @inline(__always)
    static func sumOfSquaredDeviations(_ p: UnsafePointer<Float>, _ n: Int, mean: Float) -> Float {
        var s0: Float = 0, s1: Float = 0, s2: Float = 0, s3: Float = 0
        var s4: Float = 0, s5: Float = 0, s6: Float = 0, s7: Float = 0
        var i = 0
        while i + 8 <= n {
            let d0 = p[i] - mean, d1 = p[i + 1] - mean, d2 = p[i + 2] - mean, d3 = p[i + 3] - mean
            let d4 = p[i + 4] - mean, d5 = p[i + 5] - mean, d6 = p[i + 6] - mean, d7 = p[i + 7] - mean
            s0 += d0 * d0; s1 += d1 * d1; s2 += d2 * d2; s3 += d3 * d3
            s4 += d4 * d4; s5 += d5 * d5; s6 += d6 * d6; s7 += d7 * d7
            i += 8
        }
        while i < n { let d = p[i] - mean; s0 += d * d; i += 1 }
        return ((s0 + s1) + (s2 + s3)) + ((s4 + s5) + (s6 + s7))
    }

    /// Σ a[i] · b[i] with eight partial sums.
    @inline(__always)
    static func dot(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ n: Int) -> Float {
        var s0: Float = 0, s1: Float = 0, s2: Float = 0, s3: Float = 0
        var s4: Float = 0, s5: Float = 0, s6: Float = 0, s7: Float = 0
        var i = 0
        while i + 8 <= n {
            s0 += a[i] * b[i]; s1 += a[i + 1] * b[i + 1]; s2 += a[i + 2] * b[i + 2]; s3 += a[i + 3] * b[i + 3]
            s4 += a[i + 4] * b[i + 4]; s5 += a[i + 5] * b[i + 5]; s6 += a[i + 6] * b[i + 6]; s7 += a[i + 7] * b[i + 7]
            i += 8
        }
        while i < n { s0 += a[i] * b[i]; i += 1 }
        return ((s0 + s1) + (s2 + s3)) + ((s4 + s5) + (s6 + s7))
    }

    /// Four consecutive floats, for explicitly vectorised loops over several buffers
    /// (where possible aliasing keeps the compiler from vectorising on its own).
    @inline(__always)
    static func load4(_ p: UnsafePointer<Float>, _ i: Int) -> SIMD4<Float> {
        UnsafeRawPointer(p + i).loadUnaligned(as: SIMD4<Float>.self)
    }

    @inline(__always)
    static func store4(_ v: SIMD4<Float>, _ p: UnsafeMutablePointer<Float>, _ i: Int) {
        UnsafeMutableRawPointer(p + i).storeBytes(of: v, as: SIMD4<Float>.self)
    }

    /// `target[c] += Σ_r m[r, c]` with `m` read as rows of `target.values.count` values.
    static func addColumnSums(of m: Matrix, into target: inout Matrix) {
        let width = target.values.count
        precondition(width > 0 && m.values.count % width == 0, "addColumnSums: width mismatch")
        let rows = m.values.count / width
        m.values.withUnsafeBufferPointer { src in
            target.values.withUnsafeMutableBufferPointer { dst in
                guard let s = src.baseAddress, let d = dst.baseAddress else { return }
                for r in 0..<rows {
                    let row = s + r * width
                    for c in 0..<width { d[c] += row[c] }
                }
            }
        }
    }

    /// dL/dz for y = f(z), from y and dL/dy: the gradient itself when f is linear
    /// (no copy), else written into `buffer`. The result has `gradient`'s shape.
    static func preActivationGradient(
        _ activation: Activation, output: Matrix, gradient: Matrix,
        buffer: inout Matrix
    ) -> Matrix {
        precondition(
            output.values.count == gradient.values.count,
            "gradient has \(gradient.values.count) values, the output \(output.values.count)")
        if activation == .linear { return gradient }
        buffer.reshapeDiscardingContents(rows: gradient.rows, cols: gradient.cols)
        output.values.withUnsafeBufferPointer { y in
            gradient.values.withUnsafeBufferPointer { g in
                buffer.values.withUnsafeMutableBufferPointer { r in
                    if activation == .relu {
                        reluDerivative(output: y, gradient: g, into: r)
                    } else {
                        activation.multiplyByDerivative(output: y, gradient: g, into: r)
                    }
                }
            }
        }
        return buffer
    }

    /// `r = g ⊙ [y > 0]` as a branch-free select, four lanes at a time (the scalar form with
    /// a data-dependent branch mispredicts on about half of a relu layer's values).
    static func reluDerivative(
        output y: UnsafeBufferPointer<Float>, gradient g: UnsafeBufferPointer<Float>,
        into r: UnsafeMutableBufferPointer<Float>
    ) {
        precondition(y.count == g.count && g.count == r.count, "reluDerivative: buffer sizes differ")
        guard let yp = y.baseAddress, let gp = g.baseAddress, let rp = r.baseAddress else { return }
        let n = r.count
        var i = 0
        while i + 4 <= n {
            let keep = load4(yp, i) .> 0
            store4(SIMD4<Float>(repeating: 0).replacing(with: load4(gp, i), where: keep), rp, i)
            i += 4
        }
        while i < n { rp[i] = yp[i] > 0 ? gp[i] : 0; i += 1 }
    }

    /// Checks a parameter's value and gradient shapes (they are public vars, e.g. loaded from disk).
    static func checkShape(_ p: Weight, rows: Int, cols: Int) {
        precondition(
            p.value.rows == rows && p.value.cols == cols && p.value.isConsistent,
            "\(p.name) must be \(rows)x\(cols), is \(p.value.rows)x\(p.value.cols)")
        precondition(
            p.gradient.rows == rows && p.gradient.cols == cols && p.gradient.isConsistent,
            "\(p.name): gradient must be \(rows)x\(cols)")
    }
}
