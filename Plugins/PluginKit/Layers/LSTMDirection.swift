import CVectorMath

/// One direction of an `LSTM`: its parameters, its forward recursion and its
/// backpropagation through time. Internal; `LSTM` combines one or two of them.
///
/// Gates in Keras order i, f, g (cell candidate), o:
///     a_t = x_t · W + h_prev · U + b        (W: C x 4H, U: H x 4H, b: 1 x 4H)
///     i = σ(a_i), f = σ(a_f), g = tanh(a_g), o = σ(a_o)
///     c_t = f ⊙ c_prev + i ⊙ g,  h_t = o ⊙ tanh(c_t)
/// The forward direction runs t = 0 ..< L, the reverse one t = L-1 ... 0; "prev" is the
/// previously processed step (zero state before the first).
final class LSTMDirection {
    let length: Int
    let channels: Int
    let units: Int
    let reverse: Bool
    let kernel: Weight
    let recurrentKernel: Weight
    let bias: Weight

    /// Where the hidden states go / their gradients come from: a `batch x (steps * width)`
    /// matrix of which this direction owns columns `offset ..< offset + units` of each step;
    /// `steps == length` (every step) or 1 (only the last processed step).
    struct OutputLayout {
        var sequences: Bool
        var width: Int
        var offset: Int
    }

    /// Everything one forward pass writes; training and inference use separate ones.
    struct Workspace {
        /// (batch * L) x 4H, row b * L + t: first the input projections x_t · W, then the gates i, f, g, o.
        var gates = Matrix(rows: 0, cols: 0)
        /// (batch * L) x H, row b * L + t: c_t, and tanh(c_t).
        var cells = [Float]()
        var tanhCells = [Float]()
        /// (batch * L) x H, row b * L + t: the h_prev that step t consumed.
        var previousHidden = Matrix(rows: 0, cols: 0)
        /// batch x H: the latest h (operand of the recurrent product).
        var hidden = Matrix(rows: 0, cols: 0)
        /// batch x 4H: h_prev · U.
        var recurrent = Matrix(rows: 0, cols: 0)
        /// batch x H: the running c.
        var cell = [Float]()
    }
    private var trainingSpace = Workspace()
    private var inferenceSpace = Workspace()
    private var cachedInput: Matrix?
    private var gradGates = Matrix(rows: 0, cols: 0)
    private var gradStep = Matrix(rows: 0, cols: 0)
    private var gradHidden = Matrix(rows: 0, cols: 0)
    private var gradCell = [Float]()
    /// H zeros: the c_prev of the first step and the output gradient of steps without output.
    private let zeros: [Float]

    init(name: String, length: Int, channels: Int, units: Int, reverse: Bool, rng: inout SeededGenerator) {
        self.length = length
        self.channels = channels
        self.units = units
        self.reverse = reverse
        zeros = [Float](repeating: 0, count: units)
        kernel = Weight(
            name: "\(name).kernel",
            value: LayerInitialization.glorotUniform(
                rows: channels, cols: 4 * units, fanIn: channels,
                fanOut: 4 * units, rng: &rng))
        recurrentKernel = Weight(
            name: "\(name).recurrent_kernel",
            value: LayerInitialization.orthogonal(rows: units, cols: 4 * units, rng: &rng))
        var b = Matrix(rows: 1, cols: 4 * units)
        for j in units..<(2 * units) { b.values[j] = 1 }  // unit forget bias
        bias = Weight(name: "\(name).bias", value: b)
    }

    var weights: [Weight] { [kernel, recurrentKernel, bias] }

    func checkParameterShapes() {
        LayerMath.checkShape(kernel, rows: channels, cols: 4 * units)
        LayerMath.checkShape(recurrentKernel, rows: units, cols: 4 * units)
        LayerMath.checkShape(bias, rows: 1, cols: 4 * units)
    }

    /// `input` is the batch seen as (batch * L) x C. Writes this direction's states into `out`.
    func forward(_ input: Matrix, batch: Int, training: Bool, out: UnsafeMutablePointer<Float>, layout: OutputLayout) {
        var ws = Workspace()
        if training { swap(&ws, &trainingSpace); cachedInput = input } else { swap(&ws, &inferenceSpace) }
        defer { if training { swap(&ws, &trainingSpace) } else { swap(&ws, &inferenceSpace) } }
        guard batch > 0 else { return }

        let L = length, H = units, G = 4 * units
        let n = batch * L * H
        BLAS.rowBlockedProduct(input, kernel.value, into: &ws.gates)
        if ws.cells.count != n {
            ws.cells = [Float](repeating: 0, count: n)
            ws.tanhCells = ws.cells
        }
        if ws.cell.count != batch * H { ws.cell = [Float](repeating: 0, count: batch * H) }
        ws.previousHidden.reshapeDiscardingContents(rows: batch * L, cols: H)
        ws.hidden.reshapeDiscardingContents(rows: batch, cols: H)
        ws.hidden.setZero()
        ws.recurrent.reshapeDiscardingContents(rows: batch, cols: G)

        let width = layout.width, offset = layout.offset, sequences = layout.sequences
        LayerMath.addRowVector(bias.value, to: &ws.gates)
        ws.gates.values.withUnsafeMutableBufferPointer { gatesBuffer in
            ws.cells.withUnsafeMutableBufferPointer { cellsBuffer in
                ws.tanhCells.withUnsafeMutableBufferPointer { tanhBuffer in
                    ws.previousHidden.values.withUnsafeMutableBufferPointer { prevBuffer in
                        ws.cell.withUnsafeMutableBufferPointer { cellBuffer in
                            let gates = gatesBuffer.baseAddress!
                            let cells = cellsBuffer.baseAddress!, tanhCells = tanhBuffer.baseAddress!
                            let prevAll = prevBuffer.baseAddress!, cState = cellBuffer.baseAddress!
                            cState.update(repeating: 0, count: batch * H)
                            for step in 0..<L {
                                let t = reverse ? L - 1 - step : step
                                if step > 0 {
                                    BLAS.gemm(
                                        ws.hidden, transposeA: false, recurrentKernel.value, transposeB: false,
                                        into: &ws.recurrent)
                                } else {
                                    ws.recurrent.setZero()
                                }
                                let isLast = step == L - 1
                                ws.recurrent.values.withUnsafeMutableBufferPointer { recBuffer in
                                    ws.hidden.values.withUnsafeMutableBufferPointer { hiddenBuffer in
                                        let rec = recBuffer.baseAddress!, hidden = hiddenBuffer.baseAddress!
                                        for b in 0..<batch {
                                            let row = b * L + t
                                            // Pre-activations in place of h_prev · U, then the gates (simple loops that vectorise).
                                            let z = rec + b * G, zIn = gates + row * G
                                            for k in 0..<G { z[k] += zIn[k] }
                                            // FastMath's functions at the CPU's widest vector width (same results).
                                            fe_sigmoid_f32(z, 2 * H)
                                            fe_tanh_f32(z + 2 * H, H)
                                            fe_sigmoid_f32(z + 3 * H, G - 3 * H)
                                            zIn.update(from: z, count: G)
                                            let ig = z, fg = z + H, gg = z + 2 * H, og = z + 3 * H
                                            let h = hidden + b * H, c = cState + b * H
                                            let cOut = cells + row * H, tOut = tanhCells + row * H
                                            (prevAll + row * H).update(from: h, count: H)
                                            var j = 0
                                            while j + 4 <= H {
                                                LayerMath.store4(
                                                    LayerMath.load4(fg, j) * LayerMath.load4(c, j)
                                                        + LayerMath.load4(ig, j) * LayerMath.load4(gg, j), c, j)
                                                j += 4
                                            }
                                            while j < H { c[j] = fg[j] * c[j] + ig[j] * gg[j]; j += 1 }
                                            tOut.update(from: c, count: H)
                                            fe_tanh_f32(tOut, H)
                                            j = 0
                                            while j + 4 <= H {
                                                LayerMath.store4(LayerMath.load4(og, j) * LayerMath.load4(tOut, j), h, j)
                                                j += 4
                                            }
                                            while j < H { h[j] = og[j] * tOut[j]; j += 1 }
                                            cOut.update(from: c, count: H)
                                            if sequences {
                                                (out + row * width + offset).update(from: h, count: H)
                                            } else if isLast {
                                                (out + b * width + offset).update(from: h, count: H)
                                            }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    /// Backpropagation through time for the latest training forward. `gradOut` has the
    /// forward's output layout. Adds the parameter gradients; with `needInputGradient`,
    /// writes (or, with `accumulate`, adds) dL/dx as (batch * L) x C.
    func backward(
        _ gradOut: UnsafePointer<Float>, batch: Int, layout: OutputLayout,
        needInputGradient: Bool, gradInput: inout Matrix, accumulate: Bool
    ) {
        guard let x = cachedInput else {
            preconditionFailure("LSTM \(kernel.name): backward called before a training forward")
        }
        guard batch > 0 else { return }
        var ws = Workspace()
        swap(&ws, &trainingSpace)
        defer { swap(&ws, &trainingSpace) }

        let L = length, H = units, G = 4 * units
        gradGates.reshapeDiscardingContents(rows: batch * L, cols: G)
        gradStep.reshapeDiscardingContents(rows: batch, cols: G)
        gradHidden.reshapeDiscardingContents(rows: batch, cols: H)
        gradHidden.setZero()
        if gradCell.count != batch * H { gradCell = [Float](repeating: 0, count: batch * H) }

        let width = layout.width, offset = layout.offset, sequences = layout.sequences
        ws.gates.values.withUnsafeBufferPointer { gatesBuffer in
            ws.cells.withUnsafeBufferPointer { cellsBuffer in
                ws.tanhCells.withUnsafeBufferPointer { tanhBuffer in
                    gradGates.values.withUnsafeMutableBufferPointer { gradGatesBuffer in
                        gradCell.withUnsafeMutableBufferPointer { gradCellBuffer in
                            zeros.withUnsafeBufferPointer { zerosBuffer in
                                let zero = zerosBuffer.baseAddress!
                                let gates = gatesBuffer.baseAddress!, cells = cellsBuffer.baseAddress!
                                let tanhCells = tanhBuffer.baseAddress!, dGates = gradGatesBuffer.baseAddress!
                                let dcNext = gradCellBuffer.baseAddress!
                                dcNext.update(repeating: 0, count: batch * H)
                                for step in stride(from: L - 1, through: 0, by: -1) {
                                    let t = reverse ? L - 1 - step : step
                                    let tPrev = reverse ? t + 1 : t - 1
                                    if step < L - 1 {
                                        BLAS.gemm(
                                            gradStep, transposeA: false, recurrentKernel.value, transposeB: true,
                                            into: &gradHidden)
                                    }
                                    let isLast = step == L - 1
                                    gradHidden.values.withUnsafeBufferPointer { dhBuffer in
                                        gradStep.values.withUnsafeMutableBufferPointer { stepBuffer in
                                            let dhNext = dhBuffer.baseAddress!, dStep = stepBuffer.baseAddress!
                                            for b in 0..<batch {
                                                let row = b * L + t
                                                let g = gates + row * G, tc = tanhCells + row * H
                                                let cPrev = step > 0 ? cells + (b * L + tPrev) * H : zero
                                                let dh = isLast ? zero : dhNext + b * H, dc = dcNext + b * H
                                                let ds = dStep + b * G
                                                let gOut =
                                                    sequences
                                                    ? gradOut + row * width + offset
                                                    : (isLast ? gradOut + b * width + offset : zero)
                                                let gi = g, gf = g + H, gg = g + 2 * H, go = g + 3 * H
                                                let di = ds, df = ds + H, dg = ds + 2 * H, dout = ds + 3 * H
                                                // Four units at a time (SIMD4: the same IEEE operations as the scalar tail).
                                                var j = 0
                                                while j + 4 <= H {
                                                    let dhj = LayerMath.load4(dh, j) + LayerMath.load4(gOut, j)
                                                    let ig = LayerMath.load4(gi, j), fg = LayerMath.load4(gf, j)
                                                    let gj = LayerMath.load4(gg, j), og = LayerMath.load4(go, j)
                                                    let tcj = LayerMath.load4(tc, j)
                                                    let dcj = LayerMath.load4(dc, j) + dhj * og * (1 - tcj * tcj)
                                                    LayerMath.store4(dcj * gj * ig * (1 - ig), di, j)
                                                    LayerMath.store4(dcj * LayerMath.load4(cPrev, j) * fg * (1 - fg), df, j)
                                                    LayerMath.store4(dcj * ig * (1 - gj * gj), dg, j)
                                                    LayerMath.store4(dhj * tcj * og * (1 - og), dout, j)
                                                    LayerMath.store4(dcj * fg, dc, j)
                                                    j += 4
                                                }
                                                while j < H {
                                                    let dhj = dh[j] + gOut[j]
                                                    let ig = gi[j], fg = gf[j], gj = gg[j], og = go[j], tcj = tc[j]
                                                    let dcj = dc[j] + dhj * og * (1 - tcj * tcj)
                                                    di[j] = dcj * gj * ig * (1 - ig)
                                                    df[j] = dcj * cPrev[j] * fg * (1 - fg)
                                                    dg[j] = dcj * ig * (1 - gj * gj)
                                                    dout[j] = dhj * tcj * og * (1 - og)
                                                    dc[j] = dcj * fg
                                                    j += 1
                                                }
                                                (dGates + row * G).update(from: ds, count: G)
                                            }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }

        BLAS.rowBlockedGradient(ws.previousHidden, gradGates, into: &recurrentKernel.gradient)
        BLAS.rowBlockedGradient(x, gradGates, into: &kernel.gradient)
        LayerMath.addColumnSums(of: gradGates, into: &bias.gradient)
        if needInputGradient {
            BLAS.gemm(
                gradGates, transposeA: false, kernel.value, transposeB: true, into: &gradInput,
                beta: accumulate ? 1 : 0)
        }
    }
}
