import XCTest

@testable import PluginKit

/// Shared helpers for the PluginKit math tests (namespaced so they cannot clash
/// with other helpers in the UnitTests target).
enum MathTestSupport {
    static func randomMatrix(
        rows: Int, cols: Int, rng: inout SeededGenerator,
        low: Float = -1, high: Float = 1
    ) -> Matrix {
        var m = Matrix(rows: rows, cols: cols)
        for i in 0..<m.values.count { m.values[i] = rng.uniform(low, high) }
        return m
    }

    /// Naive reference product in Double: alpha * op(a) * op(b) + beta * c.
    static func naiveGemm(
        _ a: Matrix, transposeA: Bool, _ b: Matrix, transposeB: Bool,
        c: Matrix?, alpha: Double, beta: Double
    ) -> [Double] {
        let m = transposeA ? a.cols : a.rows
        let k = transposeA ? a.rows : a.cols
        let n = transposeB ? b.rows : b.cols
        var out = [Double](repeating: 0, count: m * n)
        for i in 0..<m {
            for j in 0..<n {
                var s = 0.0
                for p in 0..<k {
                    let av = transposeA ? a[p, i] : a[i, p]
                    let bv = transposeB ? b[j, p] : b[p, j]
                    s += Double(av) * Double(bv)
                }
                let prior = c.map { Double($0[i, j]) } ?? 0
                out[i * n + j] = alpha * s + (beta == 0 ? 0 : beta * prior)
            }
        }
        return out
    }

    /// L = Σ y ⊙ r, accumulated in Double from the Float outputs, so dL/dy = r.
    static func weightedSum(_ y: Matrix, _ r: Matrix) -> Double {
        precondition(y.values.count == r.values.count)
        var s = 0.0
        for i in 0..<y.values.count { s += Double(y.values[i]) * Double(r.values[i]) }
        return s
    }

    struct GradientCheckResult {
        var maxError = 0.0
        var maxAnalytic = 0.0
        var checked = 0
    }

    /// Central-difference check of every parameter and every input element of
    /// `layer` against its analytic backward, for the loss L = Σ y ⊙ r.
    /// Numerical losses use inference forwards, which must not disturb the
    /// training caches. Error is |num - ana| / (1 + |ana|) (absolute for small
    /// gradients, relative for large ones).
    static func checkGradients(
        of layer: any Layer, input: Matrix, weights r: Matrix, eps: Float,
        tolerance: Double, file: StaticString = #filePath, line: UInt = #line
    )
        -> GradientCheckResult
    {
        for p in layer.weights { p.zeroGradient() }
        let y = layer.forward(input, training: true)
        XCTAssertEqual(y.rows, r.rows, file: file, line: line)
        XCTAssertEqual(y.cols, r.cols, file: file, line: line)
        guard let gradInput = layer.backward(r, needInputGradient: true) else {
            XCTFail("no input gradient", file: file, line: line)
            return GradientCheckResult()
        }
        var result = GradientCheckResult()

        func compare(_ numeric: Double, _ analytic: Double, _ what: String) {
            let err = abs(numeric - analytic) / (1 + abs(analytic))
            result.maxError = max(result.maxError, err)
            result.maxAnalytic = max(result.maxAnalytic, abs(analytic))
            result.checked += 1
            if err > tolerance {
                XCTFail("\(what): numeric \(numeric) vs analytic \(analytic) (err \(err))", file: file, line: line)
            }
        }

        for p in layer.weights {
            let analytic = p.gradient
            for i in 0..<p.value.values.count {
                let original = p.value.values[i]
                let plus = original + eps, minus = original - eps
                p.value.values[i] = plus
                let lp = weightedSum(layer.forward(input, training: false), r)
                p.value.values[i] = minus
                let lm = weightedSum(layer.forward(input, training: false), r)
                p.value.values[i] = original
                let numeric = (lp - lm) / (Double(plus) - Double(minus))
                compare(numeric, Double(analytic.values[i]), "\(p.name)[\(i)]")
            }
        }
        var x = input
        for i in 0..<x.values.count {
            let original = x.values[i]
            let plus = original + eps, minus = original - eps
            x.values[i] = plus
            let lp = weightedSum(layer.forward(x, training: false), r)
            x.values[i] = minus
            let lm = weightedSum(layer.forward(x, training: false), r)
            x.values[i] = original
            let numeric = (lp - lm) / (Double(plus) - Double(minus))
            compare(numeric, Double(gradInput.values[i]), "input[\(i)]")
        }
        return result
    }
}
